import { childPath, removeJsonPath, type PathSegment } from '../util/json-path.js'
import { murmurHash2 } from './bucket.js'
import { isRecord } from '../util/is-record.js'

/**
 * How a shadow call's answer compares with old's (README "Shadow traffic"): status, the listed
 * headers (by name only: a diff never shows a header value, which may be a secret), and the body.
 * When both bodies are JSON they are compared as values after removing the ignored paths, with a
 * short path-level diff (`$.items[3].price: 10 → 11`); otherwise byte for byte, by length and hash.
 * Pure: the data plane hands in both answers, already read (bounded by maxBodyBytes).
 */

export interface ShadowAnswer {
  readonly status: number
  /** Lower-case names, as undici gives them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly body: Buffer
}

export interface CompareRules {
  /** Lower-case header names compared by value. */
  readonly headers: readonly string[]
  /** Paths removed from both JSON bodies before comparing. */
  readonly ignoreJson: readonly (readonly PathSegment[])[]
}

export interface Comparison {
  readonly match: boolean
  /** At most MAX_DIFF_LINES lines, then one saying how many more there are. */
  readonly diff: readonly string[]
}

export const MAX_DIFF_LINES = 10
/** A value in a diff line is cut to this many characters: enough to see the difference, no whole documents. */
const MAX_VALUE_CHARS = 40

const MATCH: Comparison = Object.freeze({ match: true, diff: Object.freeze([]) })

export function compareAnswers(old: ShadowAnswer, neu: ShadowAnswer, rules: CompareRules): Comparison {
  const diff = new DiffLines()
  if (old.status !== neu.status) diff.add(`status: ${old.status} → ${neu.status}`)
  for (const name of rules.headers) {
    if (headerText(old.headers[name]) !== headerText(neu.headers[name])) diff.add(`header ${name} differs`)
  }
  compareBodies(old, neu, rules, diff)
  return diff.count === 0 ? MATCH : { match: false, diff: diff.lines() }
}

function compareBodies(old: ShadowAnswer, neu: ShadowAnswer, rules: CompareRules, diff: DiffLines): void {
  if (isJson(old.headers['content-type']) && isJson(neu.headers['content-type'])) {
    const a = parseJson(old.body)
    const b = parseJson(neu.body)
    if (a !== NOT_JSON && b !== NOT_JSON && jsonDiff(a, b, rules, diff)) return
  }
  if (!old.body.equals(neu.body)) diff.add(`body: ${describeBytes(old.body)} → ${describeBytes(neu.body)}`)
}

/**
 * The JSON comparison; false when the values are nested too deep to walk (the stack ran out), and
 * the bodies are then compared as bytes. Lines are only added to `diff` when the walk completed.
 */
function jsonDiff(a: unknown, b: unknown, rules: CompareRules, diff: DiffLines): boolean {
  const lines = new DiffLines()
  try {
    for (const path of rules.ignoreJson) {
      removeJsonPath(a, path)
      removeJsonPath(b, path)
    }
    diffValues(a, b, '$', lines)
  } catch (err) {
    if (err instanceof RangeError) return false
    throw err
  }
  diff.addAll(lines)
  return true
}

/** `application/json`, `application/problem+json`, `text/json; charset=utf-8`. */
export function isJson(contentType: string | string[] | undefined): boolean {
  const v = typeof contentType === 'string' ? contentType : contentType?.[0]
  return v !== undefined && /^[^;]*[/+]json\s*(;|$)/i.test(v)
}

const NOT_JSON = Symbol('not json')

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown
  } catch {
    return NOT_JSON
  }
}

function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v
}

/** `12 bytes #1a2b3c4d`: the length and a hash, so two bodies can be told apart without showing either. */
export function describeBytes(body: Buffer): string {
  return `${body.length} bytes #${murmurHash2(body).toString(16).padStart(8, '0')}`
}

/** Deep comparison; every difference is one line at the deepest path where the values part. */
function diffValues(a: unknown, b: unknown, path: string, diff: DiffLines): void {
  if (a === b) return
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) diff.add(`${path}: length ${a.length} → ${b.length}`)
    const n = Math.min(a.length, b.length)
    for (let i = 0; i < n; i++) diffValues(a[i], b[i], childPath(path, i), diff)
    return
  }
  if (isRecord(a) && isRecord(b)) {
    for (const key of Object.keys(a)) {
      if (!Object.hasOwn(b, key)) diff.add(`${childPath(path, key)}: ${show(a[key])} → (absent)`)
      else diffValues(a[key], b[key], childPath(path, key), diff)
    }
    for (const key of Object.keys(b)) {
      if (!Object.hasOwn(a, key)) diff.add(`${childPath(path, key)}: (absent) → ${show(b[key])}`)
    }
    return
  }
  diff.add(`${path}: ${show(a)} → ${show(b)}`)
}

function show(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v)
  return text.length <= MAX_VALUE_CHARS ? text : `${text.slice(0, MAX_VALUE_CHARS - 1)}…`
}

/** The first MAX_DIFF_LINES differences, and how many more there were. */
class DiffLines {
  count = 0
  readonly #lines: string[] = []

  add(line: string): void {
    if (this.count++ < MAX_DIFF_LINES) this.#lines.push(line)
  }

  /** Every line `other` counted, as if added here. */
  addAll(other: DiffLines): void {
    for (const line of other.#lines) this.add(line)
    const unseen = other.count - other.#lines.length
    this.count += unseen
  }

  lines(): string[] {
    const more = this.count - this.#lines.length
    return more > 0 ? [...this.#lines, `… and ${more} more difference${more === 1 ? '' : 's'}`] : this.#lines
  }
}
