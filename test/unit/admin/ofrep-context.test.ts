import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { KeySource, Side } from '../../../src/config/types.js'
import { parseEvaluationRequest, attributeName, EvaluationContext } from '../../../src/admin/ofrep/context.js'
import { evaluateFlag, type FlagRoute } from '../../../src/admin/ofrep/evaluate.js'
import { thresholdFor } from '../../../src/core/bucket.js'
import { decide, groupDecision } from '../../../src/core/decide.js'
import { readKey } from '../../../src/core/sticky.js'
import { optChoice, optCookieName } from '../../../src/dataplane/http/opt-cookie.js'

const USER_ID: KeySource = { kind: 'header', name: 'x-user-id' }
const UID_COOKIE: KeySource = { kind: 'cookie', name: 'uid' }
const EMAIL: KeySource = { kind: 'header', name: 'x-user-email' }

/** A route as compileRoutes would hand it over: sticky [header:x-user-id, cookie:uid], a beta group keyed by e-mail. */
function route(
  percentBp: number, opts: { optIn?: boolean; beta?: readonly string[]; vip?: readonly string[] } = {},
): FlagRoute {
  const beta = groupDecision('new', 'beta')
  const vip = groupDecision('old', 'vip')
  return {
    name: 'checkout',
    keySources: [USER_ID, UID_COOKIE],
    optCookie: optCookieName('checkout'),
    view: {
      kind: 'route', name: 'checkout', percentBp, threshold: thresholdFor(percentBp), hashPrefix: 'checkout:',
      keySources: [USER_ID, UID_COOKIE], optIn: opts.optIn ?? true,
      groups: [
        { name: 'beta', source: EMAIL, members: new Map((opts.beta ?? []).map((u) => [u, beta])) },
        { name: 'vip', source: undefined, members: new Map((opts.vip ?? []).map((u) => [u, vip])) },
      ],
    },
  }
}

function context(body: unknown): EvaluationContext {
  const parsed = parseEvaluationRequest(JSON.stringify(body))
  if (!parsed.ok) throw new Error(parsed.errorDetails)
  return parsed.context
}

const never = (): number => { throw new Error('a keyed evaluation must not draw a random number') }

describe('OFREP context → the data plane\'s key sources', () => {
  it('names the attribute of each key source after the source\'s NAME', () => {
    expect(attributeName({ kind: 'header', name: 'x-user-email' })).toBe('x-user-email')
    expect(attributeName({ kind: 'cookie', name: 'uid' })).toBe('uid')
    expect(attributeName({ kind: 'query', name: 'u' })).toBe('u')
    expect(attributeName({ kind: 'ip' })).toBe('ip')
    expect(attributeName({ kind: 'json', field: 'tenantId' })).toBe('tenantId')
  })

  it('reads sources from attributes as the data plane reads them from a request: empty is absent, numbers are their text', () => {
    const c = context({ context: { 'x-user-email': 'a@example.com', uid: 17, 'x-user-id': '', ip: '10.0.0.1', other: { deep: true } } })
    expect(c.read(EMAIL)).toBe('a@example.com')
    expect(c.read(UID_COOKIE)).toBe('17')
    expect(c.read(USER_ID)).toBeUndefined()
    expect(c.read({ kind: 'ip' })).toBe('10.0.0.1')
    expect(c.read({ kind: 'query', name: 'other' })).toBeUndefined()
  })

  it('targetingKey is the sticky key; without it the first source an attribute supplies, in the route\'s order', () => {
    const r = route(5_000)
    expect(context({ context: { targetingKey: 'user-17', 'x-user-id': 'other', uid: 'u' } }).keyFor(r)).toBe('user-17')
    expect(context({ context: { 'x-user-id': 'h', uid: 'c' } }).keyFor(r)).toBe('h')
    expect(context({ context: { uid: 'c' } }).keyFor(r)).toBe('c')
    expect(context({ context: { targetingKey: '' } }).keyFor(r)).toBeUndefined()
    expect(context({}).keyFor(r)).toBeUndefined()
  })

  it('opt-in and opt-out come from the attribute named like the route\'s opt cookie, only where the route allows them', () => {
    const on = route(5_000, { optIn: true })
    const off = route(5_000, { optIn: false })
    expect(context({ context: { 'sluice-opt-checkout': 'out' } }).optFor(on)).toBe('out')
    expect(context({ context: { 'sluice-opt-checkout': 'in' } }).optFor(on)).toBe('in')
    expect(context({ context: { 'sluice-opt-checkout': 'in' } }).optFor(off)).toBeUndefined()
    expect(context({ context: { 'sluice-opt-other': 'in' } }).optFor(on)).toBeUndefined()
  })

  it('refuses what is not an evaluation request: PARSE_ERROR for the body, INVALID_CONTEXT for the context', () => {
    expect(parseEvaluationRequest('')).toMatchObject({ ok: true })
    expect(parseEvaluationRequest('{"context": ')).toMatchObject({ ok: false, errorCode: 'PARSE_ERROR' })
    expect(parseEvaluationRequest('[1]')).toMatchObject({ ok: false, errorCode: 'PARSE_ERROR' })
    expect(parseEvaluationRequest('{"context": "user-17"}')).toMatchObject({ ok: false, errorCode: 'INVALID_CONTEXT' })
    expect(parseEvaluationRequest('{"context": {"targetingKey": 17}}')).toMatchObject({ ok: false, errorCode: 'INVALID_CONTEXT' })
    expect(parseEvaluationRequest('{"context": null}')).toMatchObject({ ok: true })
  })

  it('a flag whose sources get a non-scalar attribute, or whose opt attribute is not in/out, is INVALID_CONTEXT; other attributes do not matter', () => {
    const r = route(5_000)
    expect(evaluateFlag(r, context({ context: { targetingKey: 'k', 'x-user-email': ['a'] } }), never))
      .toMatchObject({ key: 'checkout', errorCode: 'INVALID_CONTEXT', errorDetails: expect.stringContaining("'x-user-email'") })
    expect(evaluateFlag(r, context({ context: { targetingKey: 'k', 'sluice-opt-checkout': true } }), never))
      .toMatchObject({ errorCode: 'INVALID_CONTEXT', errorDetails: expect.stringContaining('"in" or "out"') })
    expect(evaluateFlag(r, context({ context: { targetingKey: 'k', plan: { tier: 'gold' }, admin: true } }), never)).toMatchObject({ key: 'checkout', variant: expect.any(String) })
  })
})

describe('evaluateFlag: the data plane\'s decision as an OFREP answer', () => {
  it('answers what core/decide gives the same key, for any key and percent', () => {
    fc.assert(fc.property(fc.string({ minLength: 1 }), fc.integer({ min: 0, max: 10_000 }), (key, bp) => {
      const r = route(bp)
      const want = decide(r.view, key, undefined, never).side
      const got = evaluateFlag(r, context({ context: { targetingKey: key } }), never)
      expect(got).toMatchObject({ key: 'checkout', variant: want, value: want === 'new', metadata: { reason: 'bucket', percent: bp / 100 } })
      expect(got).toMatchObject({ reason: bp === 0 ? 'DEFAULT' : 'SPLIT' })
    }))
  })

  it('maps a request\'s headers and cookies and the context\'s attributes to the same side', () => {
    const r = route(3_300, { beta: ['b@example.com'], vip: ['vip-1'] })
    fc.assert(fc.property(
      fc.option(fc.constantFrom('vip-1', 'u1', 'u2', 'u3', 'x'), { nil: undefined }),
      fc.option(fc.constantFrom('b@example.com', 'c@example.com'), { nil: undefined }),
      fc.option(fc.constantFrom<'in' | 'out'>('in', 'out'), { nil: undefined }),
      (user, email, opt) => {
        const headers: Record<string, string> = {}
        if (user !== undefined) headers['x-user-id'] = user
        if (email !== undefined) headers['x-user-email'] = email
        if (opt !== undefined) headers['cookie'] = `sluice-opt-checkout=${opt}`
        const request = { headers, url: '/checkout', ip: undefined }
        const reader = { read: (s: KeySource) => (s.kind === 'header' ? headers[s.name] : undefined) }
        const proxy = decide(r.view, readKey(r.keySources, request), optChoice(r, headers['cookie']), () => 0.5, reader)
        const attrs: Record<string, string> = {}
        if (email !== undefined) attrs['x-user-email'] = email
        if (opt !== undefined) attrs['sluice-opt-checkout'] = opt
        const targeting = user === undefined ? {} : { targetingKey: user }
        const got = evaluateFlag(r, context({ context: { ...targeting, ...attrs } }), () => 0.5)
        if (proxy.reason === 'random') expect(got).toMatchObject({ errorCode: 'TARGETING_KEY_MISSING' })
        else expect(got).toMatchObject({ variant: proxy.side satisfies Side })
      },
    ))
  })

  it('says why: a group or an opt choice is TARGETING_MATCH with the reason in metadata', () => {
    const r = route(0, { beta: ['b@example.com'], vip: ['vip-1'] })
    expect(evaluateFlag(r, context({ context: { targetingKey: 'u1', 'x-user-email': 'b@example.com' } }), never))
      .toEqual({ key: 'checkout', value: true, variant: 'new', reason: 'TARGETING_MATCH', metadata: { reason: 'group:beta', percent: 0 } })
    expect(evaluateFlag(route(10_000, { vip: ['vip-1'] }), context({ context: { targetingKey: 'vip-1' } }), never))
      .toMatchObject({ value: false, variant: 'old', reason: 'TARGETING_MATCH', metadata: { reason: 'group:vip', percent: 100 } })
    expect(evaluateFlag(route(10_000), context({ context: { targetingKey: 'u1', 'sluice-opt-checkout': 'out' } }), never))
      .toMatchObject({ variant: 'old', reason: 'TARGETING_MATCH', metadata: { reason: 'opt-out' } })
    expect(evaluateFlag(route(0), context({ context: { 'sluice-opt-checkout': 'in' } }), never))
      .toMatchObject({ variant: 'new', metadata: { reason: 'opt-in' } })
  })

  it('a context the proxy would place at random is TARGETING_KEY_MISSING, naming the attributes that would do', () => {
    const got = evaluateFlag(route(5_000), context({ context: { email: 'x' } }), () => 0.1)
    expect(got).toEqual({ key: 'checkout', errorCode: 'TARGETING_KEY_MISSING', errorDetails: expect.stringContaining("'x-user-id' (header:x-user-id) or 'uid' (cookie:uid)") })
  })
})
