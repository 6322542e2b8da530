import { describe, expect, it } from 'vitest'
import { redactNatsUrl, serverAndCredentials, subjectMatches } from '../../../src/dataplane/queue/nats.js'

describe('nats helpers', () => {
  it('matches subjects the way the server does: * one token, a trailing > one or more', () => {
    expect(subjectMatches('jobs.in', 'jobs.in')).toBe(true)
    expect(subjectMatches('jobs.*', 'jobs.in')).toBe(true)
    expect(subjectMatches('jobs.*', 'jobs.in.x')).toBe(false)
    expect(subjectMatches('jobs.>', 'jobs.in.x')).toBe(true)
    expect(subjectMatches('jobs.>', 'jobs')).toBe(false)
    expect(subjectMatches('>', 'anything.at.all')).toBe(true)
    expect(subjectMatches('jobs.in', 'jobs.out')).toBe(false)
  })

  it('moves credentials from the URL into the options the client reads', () => {
    expect(serverAndCredentials('nats://127.0.0.1:4222')).toEqual({ servers: 'nats://127.0.0.1:4222' })
    expect(serverAndCredentials('nats://app:s%40cret@10.0.0.1:4222')).toEqual({ servers: 'nats://10.0.0.1:4222', user: 'app', pass: 's@cret' })
    expect(serverAndCredentials('tls://t0ken@nats.example.com')).toEqual({ servers: 'tls://nats.example.com', token: 't0ken' })
  })

  it('logs URLs without a password or a token', () => {
    expect(redactNatsUrl('nats://app:secret@10.0.0.1:4222')).not.toContain('secret')
    expect(redactNatsUrl('nats://t0ken@10.0.0.1:4222')).not.toContain('t0ken')
  })
})
