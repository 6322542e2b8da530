import { describe, expect, it } from 'vitest'
import type { KeySource } from '../../../src/config/types.js'
import {
  cookieValue, formatKeySource, normalizeIp, parseKeySource, queryValue, readKey, readSource, type KeyInput,
} from '../../../src/core/sticky.js'

describe('cookieValue', () => {
  it.each([
    ['the only cookie', 'session=abc', 'session', 'abc'],
    ['a later cookie', 'a=1; session=abc; b=2', 'session', 'abc'],
    ['without the space after ;', 'a=1;session=abc', 'session', 'abc'],
    ['a quoted value, unquoted', 'session="abc"', 'session', 'abc'],
    ['a value holding =', 'session=a=b', 'session', 'a=b'],
    ['the first of duplicates', 'session=1; session=2', 'session', '1'],
    ['not a name that ends with it (xsession)', 'xsession=1; session=2', 'session', '2'],
    ['not a name that starts with it (sessionid)', 'sessionid=1; session=2', 'session', '2'],
    ['after a cookie without =', 'flag; session=abc', 'session', 'abc'],
    ['after an empty pair and stray separators', ';; a=; session=abc;', 'session', 'abc'],
    ['raw, not URL-decoded', 'session=a%20b', 'session', 'a%20b'],
  ])('finds %s', (_what, header, name, want) => {
    expect(cookieValue(header, name)).toBe(want)
  })

  it.each([
    ['no header', undefined, 'session'],
    ['an empty header', '', 'session'],
    ['only a longer name (xsession)', 'xsession=1', 'session'],
    ['only a shorter name (session vs xsession)', 'session=1', 'xsession'],
    ['an empty value', 'session=; a=1', 'session'],
    ['an empty quoted value', 'session=""', 'session'],
    ['a bare name without =', 'session', 'session'],
  ])('gives undefined for %s', (_what, header, name) => {
    expect(cookieValue(header, name)).toBeUndefined()
  })
})

describe('queryValue', () => {
  it.each([
    ['the only parameter', '/p?k=abc', 'k', 'abc'],
    ['a later parameter', '/p?a=1&k=abc&b=2', 'k', 'abc'],
    ['a raw (not decoded) value', '/p?k=a%20b+c', 'k', 'a%20b+c'],
    ['the first of repeated names', '/p?k=1&k=2', 'k', '1'],
    ['not a longer name that starts with it', '/p?kk=1&k=2', 'k', '2'],
    ['not a longer name that ends with it', '/p?xk=1&k=2', 'k', '2'],
    ['a value before a fragment', '/p?k=abc#frag', 'k', 'abc'],
    ['a value holding =', '/p?k=a=b', 'k', 'a=b'],
    ['after a name without a value', '/p?a&k=abc', 'k', 'abc'],
  ])('finds %s', (_what, url, name, want) => {
    expect(queryValue(url, name)).toBe(want)
  })

  it.each([
    ['no query', '/p', 'k'],
    ['an empty query', '/p?', 'k'],
    ['an empty value (a=&b)', '/p?a=&b', 'a'],
    ['a name without = (a=&b)', '/p?a=&b', 'b'],
    ['a name only in the path', '/k=1?a=2', 'k'],
    ['a parameter inside the fragment', '/p?a=1#x&k=2', 'k'],
    ['a query inside the fragment', '/p#x?k=2', 'k'],
  ])('gives undefined for %s', (_what, url, name) => {
    expect(queryValue(url, name)).toBeUndefined()
  })
})

describe('readSource and readKey', () => {
  const input: KeyInput = {
    headers: { 'x-user-id': 'u-1', 'x-empty': '', 'x-many': ['first', 'second'], cookie: 'sid=c-1' },
    url: '/checkout?k=q-1',
    ip: '10.0.0.1',
  }
  const H = (name: string): KeySource => ({ kind: 'header', name })
  const COOKIE: KeySource = { kind: 'cookie', name: 'sid' }
  const QUERY: KeySource = { kind: 'query', name: 'k' }
  const IP: KeySource = { kind: 'ip' }

  it('reads each kind of source', () => {
    expect(readSource(H('x-user-id'), input)).toBe('u-1')
    expect(readSource(H('x-many'), input)).toBe('first')
    expect(readSource(COOKIE, input)).toBe('c-1')
    expect(readSource(QUERY, input)).toBe('q-1')
    expect(readSource(IP, input)).toBe('10.0.0.1')
    expect(readSource({ kind: 'json', field: 'tenantId' }, input)).toBeUndefined() // queues only
  })

  it.each([
    ['the first source when present', [H('x-user-id'), COOKIE, QUERY, IP], 'u-1'],
    ['the order given, not a fixed one', [IP, QUERY, COOKIE, H('x-user-id')], '10.0.0.1'],
    ['the next source after a missing header', [H('x-absent'), COOKIE], 'c-1'],
    ['the next source after an empty header', [H('x-empty'), QUERY], 'q-1'],
    ['the next source after a missing cookie', [{ kind: 'cookie', name: 'nope' }, QUERY], 'q-1'],
    ['undefined when none is present', [H('x-absent'), { kind: 'query', name: 'nope' }], undefined],
    ['undefined for no sources', [], undefined],
  ] as Array<[string, KeySource[], string | undefined]>)('gives %s', (_what, sources, want) => {
    expect(readKey(sources, input)).toBe(want)
  })

  it('falls through to ip only when the client address is known', () => {
    expect(readKey([H('x-absent'), IP], { ...input, ip: undefined })).toBeUndefined()
  })
})

describe('normalizeIp', () => {
  it.each([
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['10.0.0.1', '10.0.0.1'],
    ['::1', '::1'],
    ['2001:db8::1', '2001:db8::1'],
    ['::ffff:abcd', '::ffff:abcd'], // not an IPv4-mapped dotted address
  ])('%s → %s', (addr, want) => {
    expect(normalizeIp(addr)).toBe(want)
  })

  it('keeps undefined', () => {
    expect(normalizeIp(undefined)).toBeUndefined()
  })
})

describe('parseKeySource', () => {
  it.each([
    ['ip', { kind: 'ip' }],
    ['header:x-user-id', { kind: 'header', name: 'x-user-id' }],
    ['header:X-User-Id', { kind: 'header', name: 'x-user-id' }], // header names are case-insensitive
    ['cookie:Session', { kind: 'cookie', name: 'Session' }], // cookie names are not
    ['query:uid', { kind: 'query', name: 'uid' }],
    ['json:tenantId', { kind: 'json', field: 'tenantId' }],
  ])('parses %s', (text, want) => {
    expect(parseKeySource(text)).toEqual(want)
  })

  it.each([
    ['', 'is not a key source'],
    ['body:x', 'is not a key source'],
    ['ip:1', 'is not a key source'],
    ['header', "needs a name after 'header:'"],
    ['header:', "needs a name after 'header:'"],
    ['cookie:a=b', "needs a name after 'cookie:'"],
    ['query:a b', "needs a name after 'query:'"],
  ])('refuses %j', (text, message) => {
    const r = parseKeySource(text)
    expect(typeof r).toBe('string')
    expect(r).toContain(message)
  })

  it('formats back to the text it parsed', () => {
    for (const text of ['ip', 'header:x-user-id', 'cookie:sid', 'query:k', 'json:tenant.id']) {
      const parsed = parseKeySource(text)
      if (typeof parsed === 'string') throw new Error(parsed)
      expect(formatKeySource(parsed)).toBe(text)
    }
  })
})
