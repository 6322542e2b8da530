import { createHash, timingSafeEqual } from 'node:crypto'
import { BlockList, isIP } from 'node:net'
import type { ListenAddress } from '../config/types.js'
import { SluiceError } from '../util/errors.js'

const LOOPBACK = new BlockList()
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4')
// BlockList also matches IPv4-mapped IPv6 (::ffff:127.0.0.1) against the IPv4 rule.
LOOPBACK.addSubnet('::1', 128, 'ipv6')

/** 127.0.0.0/8, ::1 (any spelling), their IPv4-mapped forms, and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1')
  if (h === 'localhost') return true
  const family = isIP(h)
  return family !== 0 && LOOPBACK.check(h, family === 6 ? 'ipv6' : 'ipv4')
}

/** README (Admin plane and API): a non-loopback admin listen without a token is refused at start. */
export function assertSecureListen(listen: ListenAddress, token: string | undefined): void {
  if (token === undefined && !isLoopbackHost(listen.host)) {
    throw new SluiceError('SLUICE_ERR_ADMIN_INSECURE', `admin.listen ${listen.host} is not a loopback address: set admin.token (or SLUICE_ADMIN_TOKEN), or listen on 127.0.0.1`)
  }
}

/**
 * Checks `Authorization: Bearer TOKEN`. Both sides are hashed first so timingSafeEqual compares
 * equal lengths and the comparison time says nothing about the token's length or prefix.
 * No token configured → every request passes (loopback only, see assertSecureListen).
 */
export function bearerCheck(token: string | undefined): (authorization: string | undefined) => boolean {
  if (token === undefined) return () => true
  const expected = sha256(token)
  return (authorization) => {
    const m = /^Bearer[ \t]+(.+)$/i.exec(authorization ?? '')
    return m?.[1] !== undefined && timingSafeEqual(sha256(m[1].trim()), expected)
  }
}

/**
 * The dashboard's check: the bearer token, or HTTP Basic with the token as the password (any user
 * name), so a browser can open `/` after its built-in login prompt. Basic is accepted on GET / only:
 * a browser re-sends cached Basic credentials on cross-site requests, so /api never takes them.
 */
export function dashboardCheck(token: string | undefined): (authorization: string | undefined) => boolean {
  if (token === undefined) return () => true
  const bearer = bearerCheck(token)
  const expected = sha256(token)
  return (authorization) => {
    if (bearer(authorization)) return true
    const m = /^Basic[ \t]+([A-Za-z0-9+/=]+)$/i.exec(authorization ?? '')
    if (m?.[1] === undefined) return false
    const decoded = Buffer.from(m[1], 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    return colon !== -1 && timingSafeEqual(sha256(decoded.slice(colon + 1)), expected)
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}
