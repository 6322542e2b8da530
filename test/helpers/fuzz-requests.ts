import fc from 'fast-check'
import { VIA_VALUE } from '../../src/dataplane/http/via.js'

/**
 * Request models for the data-plane fuzzer: fast-check arbitraries for request specs, and their
 * serialisation to exact wire bytes together with what an honest proxy may do with them (the
 * oracle). Every request carries a fuzz id, `~f<id>~`, in its target, assigned when it is
 * serialised, so the origin's records can be matched to the client's requests.
 *
 * Three kinds of sockets:
 * - clean: 1–4 pipelined requests that are valid HTTP/1.1 (or 1.0) by construction; every one must
 *   be answered, and what reaches the origin is predicted exactly (method, url, body, headers);
 * - edgy: one deliberately ambiguous or malformed request (wrong Content-Length, broken chunks,
 *   CL+TE, TE variants, obs-fold, CR/LF/NUL, thousands of headers, …) after 0–2 clean ones;
 * - mutated: a clean socket's bytes with random flips, cuts and insertions.
 */

export type Header = readonly [string, string]

export type BodySpec =
  | { readonly kind: 'none' }
  /** Content-Length: data.length + delta (delta < 0: too short, > 0: too long). */
  | { readonly kind: 'length'; readonly data: Uint8Array; readonly delta: number; readonly twice: 'no' | 'same' | 'other' }
  | { readonly kind: 'chunked'; readonly chunks: readonly Chunk[]; readonly trailers: readonly Header[]; readonly te: string; readonly alsoLength: boolean; readonly badSize: string | undefined }

export interface Chunk {
  readonly data: Uint8Array
  readonly ext: string
}

export type TargetSpec =
  | { readonly kind: 'route'; readonly prefix: string; readonly tail: string }
  | { readonly kind: 'sluice'; readonly path: string; readonly query: string }
  /** Not a path: '*', absolute-form, authority-form, no leading slash. */
  | { readonly kind: 'odd'; readonly form: string }

export interface RequestSpec {
  readonly method: string
  readonly version: string
  readonly target: TargetSpec
  readonly hosts: readonly string[]
  readonly headers: readonly Header[]
  readonly body: BodySpec
  /** HTTP/1.1: false adds `Connection: close`; HTTP/1.0: true adds `Connection: keep-alive`. */
  readonly keepAlive: boolean
  /** Head lines written verbatim (obs-fold, injections, bad names): the edgy part, if any. */
  readonly rawLines: readonly string[]
}

export interface SocketSpec {
  readonly kind: 'clean' | 'edgy' | 'mutated'
  readonly requests: readonly RequestSpec[]
  readonly mutations: readonly Mutation[]
}

export interface Mutation {
  readonly op: 'flip' | 'cut' | 'insert' | 'delete'
  /** Position as a share of the payload length, 0..1. */
  readonly at: number
  readonly bytes: Uint8Array
}

// ---------------------------------------------------------------- characters

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
const TCHAR = `${ALNUM}!#$%&'*+-.^_\`|~`
const VCHAR = Array.from({ length: 0x7f - 0x21 }, (_, i) => String.fromCharCode(0x21 + i)).join('')
const OBS_TEXT = Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(0x80 + i)).join('')

const chars = (set: string): fc.Arbitrary<string> => fc.constantFrom(...set.split(''))
const str = (set: string | fc.Arbitrary<string>, minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: typeof set === 'string' ? chars(set) : set, minLength, maxLength })

const token = (max: number): fc.Arbitrary<string> => str(TCHAR, 1, max)
const fieldValue = (max: number): fc.Arbitrary<string> =>
  fc.tuple(str(VCHAR, 1, 1), str(fc.oneof({ arbitrary: chars(`${VCHAR} `), weight: 20 }, { arbitrary: chars(`\t${OBS_TEXT}`), weight: 1 }), 0, max))
    .map(([a, b]) => a + b)

// ---------------------------------------------------------------- targets

const PCT = fc.constantFrom('%2e', '%2E', '%2f', '%2F', '%00', '%25', '%zz', '%', '%c3%a9', '%e2%82%ac', '%5c', '%0d%0a', '%3f', '%23')
const SEGMENT_PART = fc.oneof(
  { arbitrary: str(`${ALNUM}-._~!$&'()*+,;=:@`, 1, 12), weight: 8 },
  { arbitrary: PCT, weight: 3 },
  { arbitrary: fc.constantFrom('..', '.', '', '//', '/./', '/../'), weight: 2 },
)
const QUERY = fc.array(fc.tuple(str(`${ALNUM}-_.`, 0, 8), fc.array(SEGMENT_PART, { maxLength: 4 }).map((p) => p.join(''))), { maxLength: 4 })
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`))

const PATH_TAIL = fc.oneof(
  { arbitrary: fc.tuple(fc.array(SEGMENT_PART, { maxLength: 8 }), QUERY).map(([p, q]) => `/${p.join('/')}${q}`), weight: 40 },
  // Raw bytes ≥ 0x80 (not percent-encoded): Node's parser refuses them.
  { arbitrary: fc.tuple(str(ALNUM, 0, 4), str(OBS_TEXT, 1, 4)).map(([a, b]) => `/${a}${b}`), weight: 2 },
  { arbitrary: fc.integer({ min: 2_000, max: 20_000 }).map((n) => `/${'a'.repeat(n)}`), weight: 1 },
)

const ROUTE_PARAM = fc.constantFrom('route=split', 'route=split', 'route=loop', 'route=api', 'route=', 'route=nope', 'route=%73plit', 'route', 'route=split+')
const REDIRECT_PARAM = fc.tuple(fc.constantFrom('redirect='), fc.oneof(
  fc.constantFrom('%2Faccount', '/a?b=c', '%2F%2Fevil.example', '/%5Cevil', 'https://evil.example/', '%2F%E2%82%AC', '%2F%C3%A9',
    '%2F%0d%0aSet-Cookie:%20x=1', '%2Fa%00b', '%E0%A4%A', '%2Fok%20space', '/' + 'x'.repeat(3000), '%2F%FF', '%2F%7F', '%2F%09tab', '/a+b'),
  str(`${ALNUM}/%?=&:.`, 0, 30),
)).map(([k, v]) => k + v)
const SLUICE_QUERY = fc.oneof(
  { arbitrary: fc.tuple(ROUTE_PARAM, fc.option(REDIRECT_PARAM)).map(([r, d]) => (d === null ? r : `${r}&${d}`)), weight: 3 },
  { arbitrary: fc.array(fc.oneof(ROUTE_PARAM, REDIRECT_PARAM, str(`${ALNUM}=&%+`, 0, 20)), { maxLength: 4 }).map((parts) => parts.join('&')), weight: 2 },
)

const TARGET: fc.Arbitrary<TargetSpec> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('route' as const), prefix: fc.constantFrom('/', '/', '/', '/loop/', '/api/'), tail: PATH_TAIL }), weight: 30 },
  {
    arbitrary: fc.record({
      kind: fc.constant('sluice' as const), query: SLUICE_QUERY,
      path: fc.constantFrom('/_sluice/opt-in', '/_sluice/opt-out', '/_sluice/whoami', '/_sluice/other', '/_sluice/', '/_sluice/opt-in/'),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant('odd' as const), form: fc.constantFrom('*', 'http://h.example/', 'h.example:80', 'x/', '?q', '@') }), weight: 1 },
)

// ---------------------------------------------------------------- headers

const COOKIE = fc.array(fc.oneof(
  fc.constantFrom('sluice-opt-split=in', 'sluice-opt-split=out', 'sluice-opt-split=maybe', 'sid=abc', 'sluice-opt-api=in', 'sid='),
  fc.tuple(token(10), str(`${VCHAR} `, 0, 20)).map(([k, v]) => `${k}=${v}`),
), { minLength: 1, maxLength: 5 }).map((c) => c.join('; '))

/** Headers a client may legally send; the framing, Host, Connection and Upgrade fields are chosen elsewhere. */
const HEADER: fc.Arbitrary<Header> = fc.oneof(
  { arbitrary: fc.tuple(token(20), fieldValue(40)).filter(([n]) => !RESERVED.has(n.toLowerCase())), weight: 10 },
  { arbitrary: fc.tuple(fc.constant('Cookie'), COOKIE), weight: 3 },
  { arbitrary: fc.tuple(fc.constant('x-user-id'), fc.oneof(fc.constantFrom('uid-1001', 'uid-9'), str(ALNUM, 1, 12))), weight: 2 },
  { arbitrary: fc.tuple(fc.constant('x-user-email'), fc.constantFrom('alice@example.com', 'bob@example.com', '')), weight: 1 },
  { arbitrary: fc.tuple(fc.constant('X-Forwarded-For'), fc.constantFrom('10.0.0.1', '1.2.3.4, 5.6.7.8', 'garbage', '::1')), weight: 1 },
  {
    arbitrary: fc.constantFrom<Header>(
      ['x-sluice-backend', 'new'], ['X-Sluice-Force', 'new'], ['te', 'trailers'], ['keep-alive', 'timeout=5'],
      ['proxy-connection', 'keep-alive'], ['trailer', 'x-t'], ['x-forwarded-proto', 'https'], ['x-forwarded-host', 'evil'],
      ['Via', '1.1 upstream-proxy'], ['Via', VIA_VALUE], ['via', `1.0 edge, ${VIA_VALUE}`], ['expect', '100-continue'], ['proxy-authorization', 'Basic eDp5'],
      ['Connection', 'keep-alive, x-hop'], ['x-hop', 'dropped'], ['Connection', 'x-other, host, content-length'],
    ),
    weight: 3,
  },
)
/** Names the random-token arbitrary must not produce: they change framing or the connection. */
const RESERVED: ReadonlySet<string> = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'expect', 'http2-settings'])

const HOSTS = fc.oneof(
  { arbitrary: fc.constantFrom(['fuzz.test'], ['api.fuzz'], ['API.FUZZ:80'], ['fuzz.test:8080'], ['127.0.0.1']), weight: 20 },
  { arbitrary: fc.constantFrom<string[]>([], [''], ['a', 'b'], ['fuzz.test', 'fuzz.test'], ['bad host'], ['h@x'], ['[::1]']), weight: 1 },
)

// ---------------------------------------------------------------- bodies

const HIDDEN = fc.constantFrom(
  'GET /~h1~ HTTP/1.1\r\nHost: fuzz.test\r\n\r\n',
  '0\r\n\r\nGET /~h2~ HTTP/1.1\r\nHost: fuzz.test\r\n\r\n',
  'POST /~h3~ HTTP/1.1\r\nHost: fuzz.test\r\nContent-Length: 0\r\n\r\n',
)
const BYTES = (max: number): fc.Arbitrary<Uint8Array> => fc.oneof(
  { arbitrary: fc.uint8Array({ minLength: 1, maxLength: max }), weight: 4 },
  { arbitrary: HIDDEN.map((s) => Buffer.from(s, 'latin1')), weight: 1 },
  { arbitrary: fc.integer({ min: 1_000, max: 70_000 }).map((n) => Buffer.alloc(n, 0x61)), weight: 1 },
)
const CHUNK_EXT = fc.oneof({ arbitrary: fc.constant(''), weight: 4 }, { arbitrary: fc.constantFrom(';a=b', ';x', ';name="q v"', ';a=b;c'), weight: 1 })
const TRAILERS = fc.oneof(
  { arbitrary: fc.constant<Header[]>([]), weight: 3 },
  { arbitrary: fc.array(fc.tuple(token(10), fieldValue(10)), { maxLength: 3 }), weight: 1 },
)

function chunked(
  te: fc.Arbitrary<string>, alsoLength: fc.Arbitrary<boolean>, badSize: fc.Arbitrary<string | undefined>,
): fc.Arbitrary<BodySpec> {
  return fc.record({
    kind: fc.constant('chunked' as const), te, alsoLength, badSize, trailers: TRAILERS,
    chunks: fc.array(fc.record({ data: BYTES(300), ext: CHUNK_EXT }), { minLength: 1, maxLength: 5 }),
  })
}

const CLEAN_BODY: fc.Arbitrary<BodySpec> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'none' } as const), weight: 5 },
  { arbitrary: fc.record({ kind: fc.constant('length' as const), data: BYTES(2_000), delta: fc.constant(0), twice: fc.constant('no' as const) }), weight: 3 },
  { arbitrary: chunked(fc.constantFrom('chunked', 'Chunked', ' chunked'), fc.constant(false), fc.constant(undefined)), weight: 3 },
)

const EDGY_BODY: fc.Arbitrary<BodySpec> = fc.oneof(
  fc.record({
    kind: fc.constant('length' as const), data: BYTES(500), twice: fc.constantFrom('no' as const, 'same' as const, 'other' as const),
    delta: fc.oneof(fc.integer({ min: -20, max: -1 }), fc.integer({ min: 1, max: 20 }), fc.constant(0)),
  }).filter((b) => b.data.length + b.delta >= 0),
  chunked(fc.constantFrom('chunked, identity', 'identity, chunked', 'gzip', 'gzip, chunked', 'chunked, chunked', 'CHUNKED', 'chunked\t', 'chunk', 'chunked;q=1', 'x-chunked', ''),
    fc.boolean(), fc.constant(undefined)),
  chunked(fc.constant('chunked'), fc.boolean(), fc.constant(undefined)),
  chunked(fc.constant('chunked'), fc.constant(false),
    fc.constantFrom('g', '-1', '0x5', ' 5', '5 ', '+5', 'fffffffffffffffffff', '5\n', '', '1;', '５', '5\r\n\r\n0')),
)

// ---------------------------------------------------------------- requests

const KNOWN_METHODS = ['GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'PURGE', 'QUERY'] as const
const CLEAN_METHOD = fc.constantFrom(...KNOWN_METHODS)

const CLEAN_REQUEST: fc.Arbitrary<RequestSpec> = fc.record({
  method: CLEAN_METHOD,
  version: fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0'),
  target: TARGET,
  hosts: HOSTS,
  headers: fc.array(HEADER, { maxLength: 8 }),
  body: CLEAN_BODY,
  keepAlive: fc.oneof({ arbitrary: fc.constant(true), weight: 6 }, { arbitrary: fc.constant(false), weight: 1 }),
  rawLines: fc.constant([]),
}).map((r): RequestSpec => r.version === 'HTTP/1.0' && r.body.kind === 'chunked' ? { ...r, body: asLength(r.body) } : r)

/** HTTP/1.0 has no chunked coding: the same bytes with a Content-Length. */
function asLength(b: Extract<BodySpec, { kind: 'chunked' }>): BodySpec {
  return { kind: 'length', data: Buffer.concat(b.chunks.map((c) => c.data)), delta: 0, twice: 'no' }
}

const EDGY_LINES = fc.oneof(
  fc.constantFrom(
    'X-Fold: a\r\n b', 'X-Fold: a\r\n\tb', 'X-Cr: a\rb', 'X-Lf: a\nX-Injected: 1', 'X-Nul: a\0b', 'X-Space : v', ' X-Lead: v',
    'X-Lf2: a\nTransfer-Encoding: chunked', 'X-Lf3: a\nContent-Length: 0', 'No-Colon', ': empty-name', 'X-Del: a\x7fb',
    'Transfer-Encoding: chunked\0', 'Content-Length: +5', 'Content-Length: 5, 5', 'Content-Length: 0x5', 'Content-Length:  5 ',
    'Upgrade: h2c', 'Connection: Upgrade, HTTP2-Settings', 'Upgrade: websocket', 'Expect: nonsense', 'Host: second.example',
    'X-Bin: \x01\x02', 'X-Obs: \xff\xfe', 'Tra\xffnsfer-Encoding: chunked',
  ),
  fc.integer({ min: 900, max: 3_300 }).map((n) => Array.from({ length: n }, (_, i) => `h${i}: ${i % 7}`).join('\r\n')),
  fc.integer({ min: 4_000, max: 20_000 }).map((n) => `X-Long: ${'v'.repeat(n)}`),
  fc.integer({ min: 30, max: 200 }).map((n) => Array.from({ length: n }, () => 'X-Dup: same').join('\r\n')),
)

const EDGY_REQUEST: fc.Arbitrary<RequestSpec> = fc.record({
  method: fc.oneof({ arbitrary: CLEAN_METHOD, weight: 6 }, { arbitrary: fc.constantFrom('CONNECT', 'get', 'G ET', 'BREW'), weight: 1 }, { arbitrary: token(8), weight: 1 }),
  version: fc.oneof({ arbitrary: fc.constantFrom('HTTP/1.1', 'HTTP/1.0'), weight: 8 }, { arbitrary: fc.constantFrom('HTTP/2.0', 'HTTP/1.2', 'http/1.1', 'HTTP/1.1 ', 'HTTP/0.9', 'HTTP/1'), weight: 1 }),
  target: TARGET,
  hosts: HOSTS,
  headers: fc.array(HEADER, { maxLength: 6 }),
  body: fc.oneof({ arbitrary: EDGY_BODY, weight: 3 }, { arbitrary: CLEAN_BODY, weight: 1 }),
  keepAlive: fc.boolean(),
  rawLines: fc.oneof(
    { arbitrary: fc.constant([]), weight: 1 },
    { arbitrary: fc.array(EDGY_LINES, { minLength: 1, maxLength: 2 }), weight: 1 },
  ),
})

const MUTATION: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('flip', 'cut', 'insert', 'insert', 'delete'),
  at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  bytes: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.constantFrom(...['\r\n', '\n', '\r', '\0', ' ', ':', '\r\n\r\n', '0\r\n\r\n', 'Transfer-Encoding: chunked\r\n', 'Content-Length: 3\r\n'].map((s) => Buffer.from(s, 'latin1')))),
})

export const SOCKET: fc.Arbitrary<SocketSpec> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('clean' as const), requests: fc.array(CLEAN_REQUEST, { minLength: 1, maxLength: 4 }), mutations: fc.constant([]) }), weight: 5 },
  {
    arbitrary: fc.tuple(fc.array(CLEAN_REQUEST, { maxLength: 2 }), EDGY_REQUEST)
      .map(([clean, edgy]) => ({ kind: 'edgy' as const, requests: [...clean, edgy], mutations: [] })),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('mutated' as const), requests: fc.array(CLEAN_REQUEST, { minLength: 1, maxLength: 2 }), mutations: fc.array(MUTATION, { minLength: 1, maxLength: 3 }) }), weight: 3 },
)
