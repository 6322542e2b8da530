import { describe, expect, it } from 'vitest'
import { unreachableMessage } from '../../../src/cli/admin-client.js'

const coded = (code: string): Error => Object.assign(new Error(code), { code })

describe('unreachableMessage: why the CLI could not reach the admin plane, and the likely fix', () => {
  it('an https plane whose certificate is not trusted: pass --cacert', () => {
    for (const code of ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT']) {
      expect(unreachableMessage('https://127.0.0.1:9443', coded(code)), code).toBe(
        `cannot reach the admin plane at https://127.0.0.1:9443 (${code}): its certificate is not trusted; pass --cacert FILE (or SLUICE_ADMIN_CACERT) with the CA that signed it`)
    }
  })

  it('a certificate for another name: use an address the certificate lists', () => {
    expect(unreachableMessage('https://10.0.0.5:9443', coded('ERR_TLS_CERT_ALTNAME_INVALID'))).toContain('does not name this address')
  })

  it('plain http cut off by the plane: it may speak HTTPS', () => {
    expect(unreachableMessage('http://127.0.0.1:9443', coded('UND_ERR_SOCKET'))).toContain('if the admin plane speaks HTTPS (admin.listen with tls), use --admin https://')
  })

  it('anything else: is sluice running?', () => {
    expect(unreachableMessage('http://127.0.0.1:8081', coded('ECONNREFUSED'))).toBe('cannot reach the admin plane at http://127.0.0.1:8081 (ECONNREFUSED); is sluice running? (--admin URL)')
  })

  it('an expired certificate or another TLS failure says so', () => {
    expect(unreachableMessage('https://127.0.0.1:9443', coded('CERT_HAS_EXPIRED'))).toContain('outside its validity dates; renew the files of admin.listen.tls')
    expect(unreachableMessage('https://127.0.0.1:9443', coded('ERR_SSL_WRONG_VERSION_NUMBER'))).toContain('the TLS handshake failed')
  })
})
