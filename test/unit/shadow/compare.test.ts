import { describe, expect, it } from 'vitest'
import { compareAnswers, isJson, MAX_DIFF_LINES, type CompareRules } from '../../../src/core/shadow-compare.js'
import { childPath, parseJsonPath, removeJsonPath, type PathSegment } from '../../../src/util/json-path.js'

const paths = (...texts: string[]): PathSegment[][] => texts.map((t) => {
  const p = parseJsonPath(t)
  if (typeof p === 'string') throw new Error(p)
  return p
})
const rules = (headers: string[] = [], ignore: string[] = []): CompareRules =>
  ({ headers, ignoreJson: paths(...ignore) })
const json = (value: unknown, status = 200, headers: Record<string, string> = {}) => ({
  status, headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(JSON.stringify(value)),
})

describe('JSON paths', () => {
  it('parse keys, indexes, wildcards and quoted keys', () => {
    expect(parseJsonPath('$.items[*].id')).toEqual([{ kind: 'key', key: 'items' }, { kind: 'any' }, { kind: 'key', key: 'id' }])
    expect(parseJsonPath("$['a b'][2].*")).toEqual([{ kind: 'key', key: 'a b' }, { kind: 'index', index: 2 }, { kind: 'any' }])
    expect(parseJsonPath('$.a.b')).toEqual([{ kind: 'key', key: 'a' }, { kind: 'key', key: 'b' }])
  })

  it('refuse what they cannot express, with a reason', () => {
    expect(parseJsonPath('a.b')).toMatch(/must start with \$/)
    expect(parseJsonPath('$')).toMatch(/whole body/)
    expect(parseJsonPath('$..id')).toMatch(/recursive descent/)
    expect(parseJsonPath('$.a[?(@.x)]')).toMatch(/not a supported path at '\[\?/)
  })

  it('removal deletes keys, nulls an indexed element, empties an array for a final [*]', () => {
    const v = { a: { b: 1, c: 2 }, items: [{ id: 1, x: 1 }, { id: 2, x: 2 }], list: [1, 2, 3], tags: ['a'] }
    for (const p of paths('$.a.b', '$.items[*].id', '$.list[1]', '$.tags[*]', '$.missing.deep')) removeJsonPath(v, p)
    expect(v).toEqual({ a: { c: 2 }, items: [{ x: 1 }, { x: 2 }], list: [1, null, 3], tags: [] })
  })

  it('name places the way a reader writes them', () => {
    expect(childPath(childPath('$', 'items'), 3)).toBe('$.items[3]')
    expect(childPath('$', 'a b')).toBe("$['a b']")
    expect(childPath('$', "it's")).toBe("$['it\\'s']")
  })
})

describe('compareAnswers', () => {
  it('equal JSON values match, whatever the key order and spacing', () => {
    const a = { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"a":1,"b":[1,2]}') }
    const b = { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: Buffer.from('{ "b": [1, 2], "a": 1.0 }') }
    expect(compareAnswers(a, b, rules())).toEqual({ match: true, diff: [] })
  })

  it('diffs at the deepest path where the values part, after removing ignored paths', () => {
    const old = json({ timestamp: 1, items: [{ id: 'a', price: 10 }, { id: 'b', price: 3 }], total: 13 })
    const neu = json({ timestamp: 2, items: [{ id: 'x', price: 11 }, { id: 'y', price: 3 }], total: 14, extra: true })
    expect(compareAnswers(old, neu, rules([], ['$.timestamp', '$.items[*].id'])).diff).toEqual([
      '$.items[0].price: 10 → 11', '$.total: 13 → 14', '$.extra: (absent) → true',
    ])
  })

  it('reports status, listed headers by name only, missing keys and array lengths', () => {
    const old = json({ a: [1, 2, 3], gone: 'x' }, 200, { 'cache-control': 'private, token=abc' })
    const neu = json({ a: [1, 2] }, 500, { 'cache-control': 'no-store' })
    expect(compareAnswers(old, neu, rules(['cache-control'])).diff).toEqual([
      'status: 200 → 500', 'header cache-control differs', '$.a: length 3 → 2', '$.gone: "x" → (absent)',
    ])
  })

  it('keeps diffs short: long values cut, at most MAX_DIFF_LINES lines and a count of the rest', () => {
    const many = (v: number) => Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`k${i}`, v]))
    const d = compareAnswers(json(many(1)), json(many(2)), rules()).diff
    expect(d).toHaveLength(MAX_DIFF_LINES + 1)
    expect(d.at(-1)).toBe('… and 15 more differences')
    const long = compareAnswers(json({ s: 'a'.repeat(500) }), json({ s: 'b' }), rules()).diff[0]!
    expect(long.length).toBeLessThan(70)
  })

  it('compares anything else byte for byte, by length and hash; JSON that does not parse too', () => {
    const text = (s: string, type = 'text/plain') => ({ status: 200, headers: { 'content-type': type }, body: Buffer.from(s) })
    expect(compareAnswers(text('same'), text('same'), rules()).match).toBe(true)
    const d = compareAnswers(text('abc'), text('abcd'), rules()).diff
    expect(d).toEqual([expect.stringMatching(/^body: 3 bytes #[0-9a-f]{8} → 4 bytes #[0-9a-f]{8}$/)])
    expect(compareAnswers(text('{bad', 'application/json'), text('{bad!', 'application/json'), rules()).diff[0]).toMatch(/^body: 4 bytes/)
  })

  it('compares JSON nested deeper than the stack as bytes instead of failing', () => {
    const deep = (leaf: number) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(`${'['.repeat(200_000)}${leaf}${']'.repeat(200_000)}`) })
    expect(compareAnswers(deep(1), deep(1), rules()).match).toBe(true)
    expect(compareAnswers(deep(1), deep(2), rules()).diff).toEqual([expect.stringMatching(/^body: 400001 bytes #[0-9a-f]{8} → 400001 bytes #[0-9a-f]{8}$/)])
  })

  it('knows JSON media types', () => {
    expect(isJson('application/json')).toBe(true)
    expect(isJson('application/problem+json; charset=utf-8')).toBe(true)
    expect(isJson('text/html')).toBe(false)
    expect(isJson('application/jsonp')).toBe(false)
    expect(isJson(undefined)).toBe(false)
  })
})
