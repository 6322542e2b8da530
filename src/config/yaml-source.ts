import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml'
import type { Finding, KeyPath, Problem } from './problem.js'
import { pathText } from './problem.js'

/**
 * A parsed YAML file that still knows where every node came from, so a problem found on the
 * plain JavaScript value can be reported at its line and column.
 */
export interface YamlSource {
  /** The file as the user named it. */
  readonly label: string
  readonly doc: Document
  readonly lines: LineCounter
}

export interface ParseResult {
  readonly source: YamlSource
  /** YAML syntax problems; when there are any, the document's structure cannot be trusted. */
  readonly problems: readonly Problem[]
}

/**
 * Parse YAML 1.2 keeping positions. `<<` merge keys are allowed: operators use them to share a
 * block between routes.
 */
export function parseYaml(text: string, label: string): ParseResult {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true })
  const source = { label, doc, lines }
  const problems = doc.errors.map((e) => problemAt(source, e.pos[0], '', `invalid YAML: ${lowerFirst(e.message)}`))
  return { source, problems }
}

/** A finding located at its key or value node (or the nearest ancestor that exists). */
export function locate(source: YamlSource, finding: Finding): Problem {
  return problemAt(source, offsetOf(source, finding.path, finding.at ?? 'value'), pathText(finding.path), finding.message)
}

/** A problem at a character offset of the file. */
export function problemAt(source: YamlSource, offset: number, path: string, message: string): Problem {
  const { line, col } = source.lines.linePos(offset)
  // linePos reports line 0 before the first newline has been seen (a one-line file).
  return { file: source.label, line: Math.max(line, 1), col: Math.max(col, 1), path, message }
}

interface Located {
  readonly node: Node | undefined
  readonly pair: Pair | undefined
  /** How many path segments were found. */
  readonly depth: number
}

/** Offset of the node at `path`, or of the deepest ancestor found. */
function offsetOf(source: YamlSource, path: KeyPath, at: 'key' | 'value'): number {
  const found = walk(source.doc, path)
  const keyStart = rangeStart(found.pair?.key)
  if (found.depth === path.length && at === 'key' && keyStart !== undefined) return keyStart
  // An empty value (`percent:`) has no text of its own: point at its key.
  if (isScalar(found.node) && found.node.value === null && keyStart !== undefined) return keyStart
  return rangeStart(found.node) ?? keyStart ?? 0
}

function walk(doc: Document, path: KeyPath): Located {
  let node = doc.contents ?? undefined
  let pair: Pair | undefined
  let depth = 0
  for (const seg of path) {
    const next = child(doc, node, seg)
    if (!next) break
    node = next.node
    pair = next.pair
    depth++
  }
  return { node, pair, depth }
}

function child(
  doc: Document, parent: Node | undefined, seg: string | number,
): { node: Node | undefined; pair: Pair | undefined } | undefined {
  const resolved = isAlias(parent) ? parent.resolve(doc) : parent
  if (isMap(resolved)) {
    const pair = resolved.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg))
    return pair ? { node: asNode(pair.value), pair } : undefined
  }
  if (isSeq(resolved)) {
    const item = resolved.items[Number(seg)]
    return item === undefined ? undefined : { node: asNode(item), pair: undefined }
  }
  return undefined
}

function asNode(v: unknown): Node | undefined {
  return isScalar(v) || isMap(v) || isSeq(v) || isAlias(v) ? v : undefined
}

function rangeStart(node: unknown): number | undefined {
  return asNode(node)?.range?.[0]
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1)
}
