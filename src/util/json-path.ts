/**
 * The small JSONPath subset shadow comparisons ignore parts of a body with: `$.a.b`, `$.items[*].id`,
 * `$.items[0]`, `$.*`, `$['a key']`. Parsing is shared by config validation (a bad path is a config
 * error with its line) and the comparison (core/shadow-compare.ts); no filters, no recursion (`..`).
 */

export type PathSegment =
  | { readonly kind: 'key'; readonly key: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'any' }

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$-]*/
const INDEX = /^\[([0-9]+)\]/
const QUOTED = /^\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\]/

/** The segments of `text`, or a message saying what is wrong with it. */
export function parseJsonPath(text: string): PathSegment[] | string {
  if (!text.startsWith('$')) return `'${text}' must start with $ (like $.timestamp or $.items[*].id)`
  const out: PathSegment[] = []
  let rest = text.slice(1)
  while (rest.length > 0) {
    let m: RegExpExecArray | null
    if (rest.startsWith('.*')) { out.push({ kind: 'any' }); rest = rest.slice(2); continue }
    if (rest.startsWith('[*]')) { out.push({ kind: 'any' }); rest = rest.slice(3); continue }
    if (rest.startsWith('..')) return `'${text}': recursive descent (..) is not supported: name each level`
    if (rest.startsWith('.') && (m = IDENT.exec(rest.slice(1))) !== null) {
      out.push({ kind: 'key', key: m[0] })
      rest = rest.slice(1 + m[0].length)
      continue
    }
    if ((m = INDEX.exec(rest)) !== null) { out.push({ kind: 'index', index: Number(m[1]) }); rest = rest.slice(m[0].length); continue }
    if ((m = QUOTED.exec(rest)) !== null) {
      out.push({ kind: 'key', key: (m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1') })
      rest = rest.slice(m[0].length)
      continue
    }
    return `'${text}' is not a supported path at '${rest}': use .name, ['name'], [N] or [*]`
  }
  if (out.length === 0) return `'${text}' names the whole body: ignoring it would compare nothing`
  return out
}

/**
 * Remove what `path` names from `value`, in place (`value` is a freshly parsed body). A removed
 * array element becomes null, so the indexes after it still line up; `[*]` as the last segment
 * empties the array.
 */
export function removeJsonPath(value: unknown, path: readonly PathSegment[], at = 0): void {
  if (value === null || typeof value !== 'object') return
  const seg = path[at]!
  const last = at === path.length - 1
  if (Array.isArray(value)) {
    if (seg.kind === 'key') return
    if (seg.kind === 'index') {
      if (seg.index >= value.length) return
      if (last) value[seg.index] = null
      else removeJsonPath(value[seg.index], path, at + 1)
      return
    }
    if (last) value.length = 0
    else for (const item of value) removeJsonPath(item, path, at + 1)
    return
  }
  const obj = value as Record<string, unknown>
  if (seg.kind === 'index') return
  if (seg.kind === 'key') {
    if (!Object.hasOwn(obj, seg.key)) return
    if (last) delete obj[seg.key]
    else removeJsonPath(obj[seg.key], path, at + 1)
    return
  }
  for (const key of Object.keys(obj)) {
    if (last) delete obj[key]
    else removeJsonPath(obj[key], path, at + 1)
  }
}

/** `$.items[3].price`, `$['a key']`: how a diff line names a place in a body. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`
  const m = IDENT.exec(key)
  return m !== null && m[0].length === key.length ? `${parent}.${key}` : `${parent}['${key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`
}
