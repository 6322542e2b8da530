import { randomBytes } from 'node:crypto'

/**
 * This process's `Via` pseudonym (RFC 9110 §7.6.3). It is random per process, so a request that
 * comes back to the same sluice (a route pointing at sluice itself, directly or through other
 * proxies) is recognised and refused with 508, while two different sluices in a chain are not
 * mistaken for a loop.
 */
export const VIA_PSEUDONYM = `sluice-${randomBytes(4).toString('hex')}`
export const VIA_VALUE = `1.1 ${VIA_PSEUDONYM}`

/** True when this process already forwarded the request (its pseudonym is in a Via header). */
export function isLoop(via: string | undefined): boolean {
  return via !== undefined && via.includes(VIA_PSEUDONYM)
}
