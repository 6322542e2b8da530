import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { isWebSocketUpgrade } from '../../../src/dataplane/http/websocket.js'

const GOOD = {
  upgrade: 'websocket',
  connection: 'Upgrade',
  'sec-websocket-version': '13',
  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
}

function req(method: string, headers: Record<string, string | undefined>): IncomingMessage {
  return { method, headers } as unknown as IncomingMessage
}

/** Only a real RFC 6455 handshake may be tunnelled; `h2c` and friends must never be (smuggling). */
describe('isWebSocketUpgrade', () => {
  it.each([
    ['a standard handshake', 'GET', GOOD],
    ['case-insensitive Upgrade', 'GET', { ...GOOD, upgrade: 'WebSocket' }],
    ['upgrade among other Connection tokens', 'GET', { ...GOOD, connection: 'keep-alive, Upgrade' }],
  ])('accepts %s', (_what, method, headers) => {
    expect(isWebSocketUpgrade(req(method, headers))).toBe(true)
  })

  it.each([
    ['POST', 'POST', GOOD],
    ['an h2c upgrade', 'GET', { ...GOOD, upgrade: 'h2c' }],
    ['a missing Upgrade', 'GET', { ...GOOD, upgrade: undefined }],
    ['a Connection without the upgrade token', 'GET', { ...GOOD, connection: 'keep-alive' }],
    ['a Connection token that only contains "upgrade"', 'GET', { ...GOOD, connection: 'upgraded' }],
    ['a missing Connection', 'GET', { ...GOOD, connection: undefined }],
    ['version 8', 'GET', { ...GOOD, 'sec-websocket-version': '8' }],
    ['a missing key', 'GET', { ...GOOD, 'sec-websocket-key': undefined }],
    ['an empty key', 'GET', { ...GOOD, 'sec-websocket-key': '' }],
  ])('refuses %s', (_what, method, headers) => {
    expect(isWebSocketUpgrade(req(method, headers))).toBe(false)
  })
})
