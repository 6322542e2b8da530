import { describe, expect, it, vi } from 'vitest'
import type { KeySource, Side } from '../../../src/config/types.js'
import { splitHash, thresholdFor } from '../../../src/core/bucket.js'
import { decide, groupDecision } from '../../../src/core/decide.js'
import type { Decision, GroupView, KeyReader, OptChoice, TargetView } from '../../../src/core/types.js'

interface GroupSpec { name: string; side: Side; users: string[]; source?: KeySource }

function group(g: GroupSpec): GroupView {
  const d = groupDecision(g.side, g.name)
  return { name: g.name, source: g.source, members: new Map(g.users.map((u) => [u, d])) }
}

function view(percentBp: number, opts: { optIn?: boolean; groups?: GroupSpec[] } = {}): TargetView {
  return {
    kind: 'route',
    name: 'checkout',
    percentBp,
    threshold: thresholdFor(percentBp),
    hashPrefix: 'checkout:',
    keySources: [{ kind: 'header', name: 'x-user-id' }],
    groups: (opts.groups ?? []).map(group),
    optIn: opts.optIn ?? true,
  }
}

const EMAIL: KeySource = { kind: 'header', name: 'x-user-email' }
const reader = (values: Record<string, string>): KeyReader => ({
  read: (s) => (s.kind === 'header' ? values[s.name] : undefined),
})
const never = (): number => { throw new Error('rand must not be called when a key is present') }

/** A key whose bucket is on new at 50 % and one on old: found, not hard-coded, so the table stays honest. */
const NEW_AT_50 = Array.from({ length: 100 }, (_, i) => `u${i}`).find((k) => splitHash('checkout', k) < thresholdFor(5_000))!
const OLD_AT_50 = Array.from({ length: 100 }, (_, i) => `u${i}`).find((k) => splitHash('checkout', k) >= thresholdFor(5_000))!

interface Case {
  what: string
  view: TargetView
  key: string | undefined
  opt: OptChoice
  rand?: number
  reader?: KeyReader
  want: Pick<Decision, 'side' | 'reason'> & { group?: string }
}

const BETA_NEW: GroupSpec = { name: 'beta', side: 'new', users: ['alice', NEW_AT_50, OLD_AT_50] }
const BLOCK_OLD: GroupSpec = { name: 'blocked', side: 'old', users: ['alice', 'mallory'] }

const CASES: Case[] = [
  // 1. opt-out beats everything
  { what: 'opt-out beats a new-side group and 100 %', view: view(10_000, { groups: [BETA_NEW] }), key: 'alice', opt: 'out', want: { side: 'old', reason: 'opt-out' } },
  // 2. opt-in beats groups and the bucket
  { what: 'opt-in beats an old-side group and 0 %', view: view(0, { groups: [BLOCK_OLD] }), key: 'alice', opt: 'in', want: { side: 'new', reason: 'opt-in' } },
  { what: 'opt-in without any key', view: view(0), key: undefined, opt: 'in', want: { side: 'new', reason: 'opt-in' } },
  // optIn: false → the user's choice is ignored
  { what: 'optIn off ignores opt-out', view: view(10_000, { optIn: false }), key: OLD_AT_50, opt: 'out', want: { side: 'new', reason: 'bucket' } },
  { what: 'optIn off ignores opt-in', view: view(0, { optIn: false }), key: NEW_AT_50, opt: 'in', want: { side: 'old', reason: 'bucket' } },
  // 3. groups, in config order
  { what: 'a group beats the bucket (new at 0 %)', view: view(0, { groups: [BETA_NEW] }), key: OLD_AT_50, opt: undefined, want: { side: 'new', reason: 'group', group: 'beta' } },
  { what: 'a group beats the bucket (old at 100 %)', view: view(10_000, { groups: [BLOCK_OLD] }), key: 'mallory', opt: undefined, want: { side: 'old', reason: 'group', group: 'blocked' } },
  { what: 'the first group in config order wins (old first)', view: view(5_000, { groups: [BLOCK_OLD, BETA_NEW] }), key: 'alice', opt: undefined, want: { side: 'old', reason: 'group', group: 'blocked' } },
  { what: 'the first group in config order wins (new first)', view: view(5_000, { groups: [BETA_NEW, BLOCK_OLD] }), key: 'alice', opt: undefined, want: { side: 'new', reason: 'group', group: 'beta' } },
  { what: 'a non-member falls through to the bucket', view: view(0, { groups: [BETA_NEW] }), key: 'bob', opt: undefined, want: { side: 'old', reason: 'bucket' } },
  { what: 'a group with its own key source reads it through the KeyReader', view: view(0, { groups: [{ name: 'staff', side: 'new', users: ['alice@example.com'], source: EMAIL }] }), key: 'u-17', opt: undefined, reader: reader({ 'x-user-email': 'alice@example.com' }), want: { side: 'new', reason: 'group', group: 'staff' } },
  { what: 'a group with its own key source ignores the sticky key', view: view(0, { groups: [{ name: 'staff', side: 'new', users: ['alice'], source: EMAIL }] }), key: 'alice', opt: undefined, reader: reader({ 'x-user-email': 'bob@example.com' }), want: { side: 'old', reason: 'bucket' } },
  { what: 'a group with its own key source matches even without a sticky key', view: view(0, { groups: [{ name: 'staff', side: 'new', users: ['alice@example.com'], source: EMAIL }] }), key: undefined, opt: undefined, rand: 0, reader: reader({ 'x-user-email': 'alice@example.com' }), want: { side: 'new', reason: 'group', group: 'staff' } },
  { what: 'a group with its own key source is skipped without a KeyReader', view: view(0, { groups: [{ name: 'staff', side: 'new', users: ['alice@example.com'], source: EMAIL }] }), key: 'alice@example.com', opt: undefined, want: { side: 'old', reason: 'bucket' } },
  // 4. the bucket
  { what: '0 % sends a key to old', view: view(0), key: NEW_AT_50, opt: undefined, want: { side: 'old', reason: 'bucket' } },
  { what: '100 % sends a key to new', view: view(10_000), key: OLD_AT_50, opt: undefined, want: { side: 'new', reason: 'bucket' } },
  { what: 'a key below the threshold goes to new', view: view(5_000), key: NEW_AT_50, opt: undefined, want: { side: 'new', reason: 'bucket' } },
  { what: 'a key above the threshold goes to old', view: view(5_000), key: OLD_AT_50, opt: undefined, want: { side: 'old', reason: 'bucket' } },
  // 5. no key: random with the same share
  { what: 'no key, rand just under the share → new', view: view(500), key: undefined, opt: undefined, rand: 0.0499, want: { side: 'new', reason: 'random' } },
  { what: 'no key, rand at the share → old', view: view(500), key: undefined, opt: undefined, rand: 0.05, want: { side: 'old', reason: 'random' } },
  { what: 'no key at 0 %, rand 0 → old', view: view(0), key: undefined, opt: undefined, rand: 0, want: { side: 'old', reason: 'random' } },
  { what: 'no key at 100 %, rand just below 1 → new', view: view(10_000), key: undefined, opt: undefined, rand: 0.999999, want: { side: 'new', reason: 'random' } },
]

describe('decide: the decision order of the README', () => {
  it.each(CASES)('$what', (c) => {
    const rand = c.rand === undefined ? never : (): number => c.rand!
    const d = decide(c.view, c.key, c.opt, rand, c.reader)
    expect({ side: d.side, reason: d.reason, ...(d.group === undefined ? {} : { group: d.group }) }).toEqual(c.want)
  })

  it('the test keys really sit on both sides of 50 %', () => {
    expect(splitHash('checkout', NEW_AT_50)).toBeLessThan(thresholdFor(5_000))
    expect(splitHash('checkout', OLD_AT_50)).toBeGreaterThanOrEqual(thresholdFor(5_000))
  })

  it('follows the bucket for every key at a middle percent', () => {
    const v = view(1_234)
    for (let i = 0; i < 2_000; i++) {
      const key = `user-${i}`
      const want = splitHash('checkout', key) < thresholdFor(1_234) ? 'new' : 'old'
      expect(decide(v, key, undefined, never).side).toBe(want)
    }
  })

  it('reads the KeyReader only for groups that have their own source', () => {
    const read = vi.fn(() => undefined)
    decide(view(5_000, { groups: [BETA_NEW] }), 'bob', undefined, never, { read })
    expect(read).not.toHaveBeenCalled()
    decide(view(5_000, { groups: [BETA_NEW, { name: 'staff', side: 'new', users: [], source: EMAIL }] }), 'bob', undefined, never, { read })
    expect(read).toHaveBeenCalledWith(EMAIL)
  })

  it('returns shared decision objects (no allocation on the hot path)', () => {
    const v = view(10_000, { groups: [BETA_NEW] })
    expect(decide(v, OLD_AT_50, undefined, never)).toBe(decide(v, NEW_AT_50, undefined, never))
    expect(decide(v, 'alice', undefined, never)).toBe(decide(v, NEW_AT_50, undefined, never)) // both in beta
    expect(Object.isFrozen(decide(v, 'alice', undefined, never))).toBe(true)
  })
})

describe('decide: a 100,000-member group', () => {
  const users = Array.from({ length: 100_000 }, (_, i) => `member-${i}@example.com`)
  const v = view(0, { groups: [{ name: 'beta', side: 'new', users }] })

  it('finds the first, a middle and the last member', () => {
    for (const u of [users[0]!, users[50_000]!, users[99_999]!]) {
      expect(decide(v, u, undefined, never)).toMatchObject({ side: 'new', reason: 'group', group: 'beta' })
    }
  })

  it('does not match near-misses', () => {
    for (const u of ['member-100000@example.com', 'member-5@example.co', 'MEMBER-5@example.com', '']) {
      expect(decide(v, u, undefined, never)).toMatchObject({ side: 'old', reason: 'bucket' })
    }
  })
})
