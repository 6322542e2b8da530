import { describe, expect, it } from 'vitest'
import { CONNECT, mapUpstreamError, PROTOCOL, RESET, TIMEOUT } from '../../../src/dataplane/http/upstream-leg/error-map.js'
import { isConnectFailureOnNew } from '../../../src/dataplane/http/upstream-leg/fallback.js'

/** An error as Node's net module builds it: code, syscall. */
function sysError(code: string, syscall: string): Error {
  return Object.assign(new Error(`${syscall} ${code}`), { code, syscall, errno: -110 })
}

describe('mapUpstreamError', () => {
  it('ETIMEDOUT while connecting is a connect failure (nothing was sent: may fall back)', () => {
    expect(mapUpstreamError(sysError('ETIMEDOUT', 'connect'))).toBe(CONNECT)
  })

  it('ETIMEDOUT on an established connection is a timeout, never a connect failure', () => {
    // The kernel gave up on retransmissions or keep-alive probes: the request may have been sent.
    expect(mapUpstreamError(sysError('ETIMEDOUT', 'read'))).toBe(TIMEOUT)
    expect(mapUpstreamError(sysError('ETIMEDOUT', 'write'))).toBe(TIMEOUT)
    // undici wraps socket errors: the cause decides.
    const wrapped = Object.assign(new Error('other side closed'), { cause: sysError('ETIMEDOUT', 'read') })
    expect(mapUpstreamError(wrapped)).toBe(TIMEOUT)
  })

  it('a bodyless POST whose established connection timed out is not resent to old', () => {
    const failure = mapUpstreamError(sysError('ETIMEDOUT', 'read'))
    expect(isConnectFailureOnNew({ servedBy: 'new', fellBack: false }, failure)).toBe(false)
    expect(isConnectFailureOnNew({ servedBy: 'new', fellBack: false }, mapUpstreamError(sysError('ETIMEDOUT', 'connect')))).toBe(true)
  })

  it('keeps the other classes', () => {
    expect(mapUpstreamError(sysError('ECONNREFUSED', 'connect'))).toBe(CONNECT)
    expect(mapUpstreamError(Object.assign(new Error('x'), { code: 'UND_ERR_CONNECT_TIMEOUT' }))).toBe(CONNECT)
    expect(mapUpstreamError(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }))).toBe(TIMEOUT)
    expect(mapUpstreamError(sysError('ECONNRESET', 'read'))).toBe(RESET)
    expect(mapUpstreamError(new AggregateError([sysError('ECONNREFUSED', 'connect')]))).toBe(CONNECT)
    expect(mapUpstreamError(new Error('no code'))).toBe(PROTOCOL)
  })
})
