import type { ListenAddress } from './types.js'

/**
 * Checks and parsers for single values, shared by validation (which reports the message) and
 * normalisation (which runs only on values these accepted). Each check returns a message for
 * the user, or undefined when the value is fine.
 */

const HAS_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//

/** Parse a URL that must carry a scheme and a host; returns the URL or a message. */
function parseUrl(text: string, schemes: readonly string[], example: string): URL | string {
  if (!HAS_SCHEME.test(text)) return `'${text}' is not a URL: write it with a scheme, like ${example}`
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return `'${text}' is not a valid URL: use ${example}`
  }
  if (!schemes.includes(url.protocol)) return `'${text}' must use ${schemes.join(' or ')}, not ${url.protocol}`
  // WHATWG parsing turns 'http:///x' into host 'x'; a third slash means the host was left out.
  if (url.hostname === '' || /^[^:]+:\/\/\//.test(text)) return `'${text}' has no host: use ${example}`
  return url
}

/** The message of parseUrl, or undefined for a URL it accepts. */
function urlProblem(text: string, schemes: readonly string[], example: string): string | undefined {
  const url = parseUrl(text, schemes, example)
  return typeof url === 'string' ? url : undefined
}

/** A backend origin: http(s), a host, nothing else (sluice appends the request's own path). */
export function originProblem(text: string): string | undefined {
  const url = parseUrl(text, ['http:', 'https:'], 'http://10.0.0.1:3000')
  if (typeof url === 'string') return url
  if (url.username !== '' || url.password !== '') return `'${text}' must not contain credentials`
  if (url.pathname !== '/') return `'${text}' must not have a path ('${url.pathname}'): sluice forwards each request's own path`
  if (url.search !== '' || url.hash !== '') return `'${text}' must not have a query or fragment`
  return undefined
}

/** An http(s) endpoint that gets POSTs (webhooks, the http queue sink): path and query allowed. */
export function httpUrlProblem(text: string): string | undefined {
  return urlProblem(text, ['http:', 'https:'], 'https://hooks.example.com/sluice')
}

/** A Redis URL, as ioredis and node-redis accept it. */
export function redisUrlProblem(text: string): string | undefined {
  return urlProblem(text, ['redis:', 'rediss:'], 'redis://127.0.0.1:6379/0')
}

/** An AMQP 0-9-1 URL, as amqplib accepts it. */
export function amqpUrlProblem(text: string): string | undefined {
  return urlProblem(text, ['amqp:', 'amqps:'], 'amqp://guest:guest@127.0.0.1:5672')
}

/** A NATS server URL, as the NATS client accepts it. */
export function natsUrlProblem(text: string): string | undefined {
  return urlProblem(text, ['nats:', 'tls:'], 'nats://127.0.0.1:4222')
}

/** Two decimals at most: the resolution of basis points. Checked here, not with `multipleOf` (float error). */
export function percentDecimalsProblem(p: number): string | undefined {
  return Math.abs(p * 100 - Math.round(p * 100)) < 1e-9 ? undefined : `${p} has more than two decimals: the resolution is 0.01`
}

/** Percent → basis points (5.25 → 525). */
export function toBasisPoints(p: number): number {
  return Math.round(p * 100)
}

/** The canonical IANA name ('europe/berlin' → 'Europe/Berlin'), or undefined if unknown. */
export function canonicalTimeZone(name: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone
  } catch {
    return undefined
  }
}

/** A time zone that Intl (and so the schedule) understands. */
export function timeZoneProblem(name: string): string | undefined {
  return canonicalTimeZone(name) === undefined ? `'${name}' is not a time zone: use an IANA name like Europe/Berlin or UTC` : undefined
}

/** "HH:MM" → minutes after midnight. */
export function toMinutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))
}

/** "host:port" or "[v6]:port" (already matched by the schema's pattern) → parts; IPv6 without brackets. */
export function parseListen(text: string): ListenAddress {
  const colon = text.lastIndexOf(':')
  const host = text.slice(0, colon)
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port: Number(text.slice(colon + 1)) }
}

const MAX_PORT = 65535

/** The pattern already checked the shape; this checks the port's range (0 = any free port, for tests). */
export function listenProblem(text: string): string | undefined {
  const { port } = parseListen(text)
  return port > MAX_PORT ? `port ${port} is out of range: use 0 to ${MAX_PORT}` : undefined
}
