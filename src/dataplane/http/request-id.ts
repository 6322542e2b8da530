import { randomBytes } from 'node:crypto'

/**
 * `x-request-id`: the client's own when it sent a usable one (a load balancer or the application
 * set it, and the trace must continue), else one sluice makes. Made ids are a random prefix per
 * process and a counter, so replicas never collide and no randomness is drawn per request; the
 * counter in base 36 keeps ids short (`3f9c1a2b7d0e-1z4`).
 */
const PREFIX = randomBytes(6).toString('hex')
let counter = 0

export function nextRequestId(): string {
  counter = counter === Number.MAX_SAFE_INTEGER ? 1 : counter + 1
  return `${PREFIX}-${counter.toString(36)}`
}

/** Visible ASCII only and short: a longer or stranger value would be a log-injection vector, not an id. */
const USABLE = /^[\x21-\x7e]{1,128}$/

export function isUsableRequestId(value: string): boolean {
  return USABLE.test(value)
}
