/** "No route": above every route index, so the smaller of two answers is always the right one. */
export const NO_ROUTE = 0x7fffffff

const SLASH = 0x2f
const QUESTION = 0x3f
/** Above this many children a node finds its child through a Map instead of a scan. */
const SCAN_LIMIT = 8

/**
 * One node of a radix tree over path prefixes: the edge into it is `label`, so the prefix that
 * ends here is the labels from the root down.
 */
class PrefixNode {
  /** First route (in file order) whose prefix ends exactly here, or NO_ROUTE. */
  own = NO_ROUTE
  /** That prefix ends with '/', so it matches whatever follows it. */
  ownSlash = false
  /**
   * The first route among the prefixes that end above this node and match every path that runs
   * through this node's label: which of them do is fixed by the label's first character.
   */
  inherited = NO_ROUTE
  readonly keys: number[] = []
  readonly kids: PrefixNode[] = []
  map: Map<number, PrefixNode> | undefined = undefined

  constructor(public label: string) {}

  child(c: number): PrefixNode | undefined {
    if (this.map !== undefined) return this.map.get(c)
    const keys = this.keys
    for (let i = 0; i < keys.length; i++) if (keys[i] === c) return this.kids[i]
    return undefined
  }

  add(node: PrefixNode): void {
    this.keys.push(node.label.charCodeAt(0))
    this.kids.push(node)
  }

  replace(old: PrefixNode, node: PrefixNode): void {
    this.kids[this.kids.indexOf(old)] = node
  }
}

/**
 * The path prefixes of one host's routes (or of the routes for any host), each with the first
 * route in file order that has it. `find` walks the request's URL once, character by character
 * and without allocating, and returns the index of the first route in file order whose prefix
 * matches — what trying the routes one by one would return — in time that depends on the URL's
 * length, not on the number of routes.
 *
 * Matching is segment-aware: prefix P matches URL U when U starts with P and P ends with '/', or
 * U is P, or U continues with '/' or '?' right after P. Among the prefixes that match, every one
 * that ends above the deepest node the walk reaches is settled by the character that follows it
 * on the way down, which the tree knows when it is built: `inherited` holds the best of them, so
 * the walk only looks at its last node.
 */
export class PrefixTree {
  readonly #root = new PrefixNode('')
  #sealed = false

  /** Add `prefix` for route `index`; indexes must come in file order (the first one for a prefix stays). */
  add(prefix: string, index: number): void {
    if (this.#sealed) throw new Error('PrefixTree: add after seal')
    const node = this.#insert(prefix)
    if (index < node.own) {
      node.own = index
      node.ownSlash = prefix.charCodeAt(prefix.length - 1) === SLASH
    }
  }

  /** Settle every node's `inherited` and index wide nodes; no `add` afterwards. */
  seal(): this {
    this.#sealed = true
    const stack: PrefixNode[] = [this.#root]
    while (stack.length > 0) {
      const node = stack.pop()!
      for (const kid of node.kids) {
        const c = kid.label.charCodeAt(0)
        const passes = node.own !== NO_ROUTE && (node.ownSlash || c === SLASH || c === QUESTION)
        kid.inherited = passes && node.own < node.inherited ? node.own : node.inherited
        stack.push(kid)
      }
      if (node.kids.length > SCAN_LIMIT) node.map = new Map(node.keys.map((k, i) => [k, node.kids[i]!]))
    }
    return this
  }

  /** Index of the first route (file order) whose prefix matches `url`, or NO_ROUTE. */
  find(url: string): number {
    const len = url.length
    let node = this.#root
    let pos = 0
    for (;;) {
      if (pos === len) return node.own < node.inherited ? node.own : node.inherited
      const c = url.charCodeAt(pos)
      const kid = node.child(c)
      if (kid === undefined) {
        const own = node.ownSlash || c === SLASH || c === QUESTION ? node.own : NO_ROUTE
        return own < node.inherited ? own : node.inherited
      }
      const label = kid.label
      // The URL leaves (or ends inside) the edge: no prefix ends inside an edge, so only the
      // prefixes above it can match, and kid.inherited is the best of them.
      if (pos + label.length > len) return kid.inherited
      for (let i = 1; i < label.length; i++) {
        if (url.charCodeAt(pos + i) !== label.charCodeAt(i)) return kid.inherited
      }
      node = kid
      pos += label.length
    }
  }

  /** The node where `prefix` ends, splitting an edge or adding a leaf as needed. */
  #insert(prefix: string): PrefixNode {
    let node = this.#root
    let pos = 0
    while (pos < prefix.length) {
      const kid = node.child(prefix.charCodeAt(pos))
      if (kid === undefined) {
        const leaf = new PrefixNode(prefix.slice(pos))
        node.add(leaf)
        return leaf
      }
      const label = kid.label
      let same = 1
      while (same < label.length && pos + same < prefix.length
        && label.charCodeAt(same) === prefix.charCodeAt(pos + same)) same++
      if (same < label.length) {
        // Split the edge: a new node for the shared part, the old node below it with the rest.
        const mid = new PrefixNode(label.slice(0, same))
        kid.label = label.slice(same)
        mid.add(kid)
        node.replace(kid, mid)
        node = mid
      } else {
        node = kid
      }
      pos += same
    }
    return node
  }
}
