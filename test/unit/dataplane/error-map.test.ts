import { describe, expect, it } from 'vitest'
import { CONNECT, keepTlsCause, mapUpstreamError, markConnectPhase, PROTOCOL, RESET, TIMEOUT, TLS_ESTABLISHED, TLS_HANDSHAKE, tlsProblem } from '../../../src/dataplane/http/upstream-leg/error-map.js'
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

describe('TLS failures', () => {
  const coded = (code: string, message = code): Error => Object.assign(new Error(message), { code })
  const whileConnecting = (err: Error): Error => { markConnectPhase(err); return err }

  it('certificate and handshake errors raised while connecting are tls, and may fall back (nothing was sent)', () => {
    for (const code of ['CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID',
      'SELF_SIGNED_CERT_IN_CHAIN', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE']) {
      const failure = mapUpstreamError(whileConnecting(coded(code)))
      expect(failure, code).toBe(TLS_HANDSHAKE)
      expect(failure).toMatchObject({ status: 502, reason: 'tls', code: 'SLUICE_ERR_UPSTREAM_TLS' })
      expect(isConnectFailureOnNew({ servedBy: 'new', fellBack: false }, failure)).toBe(true)
    }
  })

  it('a TLS error on an established connection is tls but never falls back (the request may have been sent)', () => {
    const failure = mapUpstreamError(coded('ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC'))
    expect(failure).toBe(TLS_ESTABLISHED)
    expect(isConnectFailureOnNew({ servedBy: 'new', fellBack: false }, failure)).toBe(false)
  })

  it('never maps a TLS error to "invalid HTTP response"', () => {
    expect(mapUpstreamError(Object.assign(new Error('wrapped'), { cause: coded('CERT_HAS_EXPIRED') }))).toBe(TLS_ESTABLISHED)
    expect(mapUpstreamError(coded('ERR_SSL_PROTOCOL'))).not.toBe(PROTOCOL)
  })

  it('the log names the problem and its code', () => {
    expect(tlsProblem(coded('CERT_HAS_EXPIRED', 'certificate has expired'))).toBe('certificate has expired (CERT_HAS_EXPIRED)')
  })

  const ALERT_116 = '80FC01A4B87F0000:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 116\n'

  it('a certificate refusal alert after our TLS 1.3 handshake is a refused handshake: tls, may fall back', () => {
    for (const code of ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE']) {
      const failure = mapUpstreamError(coded(code))
      expect(failure, code).toBe(TLS_HANDSHAKE)
      expect(isConnectFailureOnNew({ servedBy: 'new', fellBack: false }, failure)).toBe(true)
    }
  })

  it("undici's \"other side closed\" after an alert is reported as the alert, and the log names it without OpenSSL's noise", () => {
    const closed = coded('UND_ERR_SOCKET', 'other side closed')
    expect(mapUpstreamError(closed)).toBe(RESET)
    keepTlsCause(closed, coded('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', ALERT_116))
    expect(mapUpstreamError(closed)).toBe(TLS_HANDSHAKE)
    expect(tlsProblem(closed)).toBe('tlsv13 alert certificate required (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED)')
  })
})
