import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { RouteConfig } from '../../../src/config/types.js'
import type { TargetView } from '../../../src/core/types.js'
import {
  compileRoutes, findRoute, indexRoutes, routeNamed, withViews, type RouteTable,
} from '../../../src/dataplane/http/route-table.js'
import { HostTable } from '../../../src/dataplane/http/host-table.js'
import type { RouteBackends } from '../../../src/dataplane/http/upstream.js'

/** Only what compileRoutes reads; the rest of a RouteConfig plays no part in matching. */
function route(name: string, host: string | undefined, pathPrefix: string): RouteConfig {
  return {
    name, match: { host, pathPrefix }, sticky: [], assignCookie: undefined, goals: [], exposeBackendHeader: false,
    timeouts: { connectMs: 1000, headerMs: 1000, idleMs: 1000 },
  } as unknown as RouteConfig
}

function table(routes: readonly RouteConfig[], previous?: RouteTable): RouteTable {
  const views = new Map(routes.map((r) => [r.name, {} as TargetView]))
  const backends = new Map(routes.map((r) => [r.name, {} as RouteBackends]))
  return compileRoutes(routes, views, backends, undefined, previous)
}

/**
 * The rule as the README states it, and as route-table.ts implemented it before the index: try every
 * route in file order.
 */
function linearScan(
  routes: readonly RouteConfig[], hostHeader: string | undefined, url: string,
): RouteConfig | undefined {
  const host = hostHeader === undefined ? undefined : hostOnly(hostHeader)
  return routes.find((r) =>
    (r.match.host === undefined || r.match.host === host) && prefixMatches(r.match.pathPrefix, url))
}

function prefixMatches(prefix: string, url: string): boolean {
  if (!url.startsWith(prefix)) return false
  if (url.length === prefix.length || prefix.charCodeAt(prefix.length - 1) === 0x2f) return true
  const next = url.charCodeAt(prefix.length)
  return next === 0x2f || next === 0x3f
}

function hostOnly(host: string): string {
  const end = host.charCodeAt(0) === 0x5b ? host.indexOf(']') + 1 : host.indexOf(':')
  return (end > 0 ? host.slice(0, end) : host).toLowerCase()
}

// Small alphabets, so that random prefixes, hosts and URLs share a lot and collide often.
const pathChar = fc.constantFrom('/', '/', 'a', 'b', 'ab', '?', 'x=1', '.', '%2F', 'é')
const prefix = fc.oneof(
  { weight: 6, arbitrary: fc.array(pathChar, { maxLength: 6 }).map((parts) => `/${parts.join('')}`) },
  { weight: 1, arbitrary: fc.constantFrom('', '/', '//', '/a/', '/a?') },
)
const configHost = fc.constantFrom('a.example', 'b.example', 'example', '127.0.0.1', '[::1]', 'xn--bcher-kva.example', 'bücher.example', 'Upper.example')
const route$ = fc.record({ host: fc.option(configHost, { nil: undefined, freq: 3 }), prefix })
const url = fc.oneof(
  { weight: 8, arbitrary: fc.array(pathChar, { maxLength: 9 }).map((parts) => `/${parts.join('')}`) },
  { weight: 1, arbitrary: fc.constantFrom('', '*', 'http://a.example/a', '?a', '/a?b/c') },
)
/** What a client may send: any case, a port, an IPv6 literal, junk, no Host at all. */
const hostHeader = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(configHost, fc.boolean(), fc.constantFrom('', ':80', ':8080', ':')).map(([h, upper, port]) => (upper ? h.toUpperCase() : h) + port) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, '', ':80', '[', '[::1', 'BÜCHER.EXAMPLE', 'A.EXAMPLE.', '\u212a.example', 'a.examplE:1:2') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
)

describe('route lookup: the index picks what trying the routes in file order picks', () => {
  it('on random route sets and requests', () => {
    const requests$ = fc.array(fc.tuple(hostHeader, url), { minLength: 1, maxLength: 30 })
    fc.assert(
      fc.property(fc.array(route$, { maxLength: 40 }), requests$, (specs, requests) => {
        const routes = specs.map((s, i) => route(`r${i}`, s.host, s.prefix))
        const t = table(routes)
        for (const [host, u] of requests) {
          expect(findRoute(t, host, u)?.name, `host ${JSON.stringify(host)} url ${JSON.stringify(u)}`).toBe(linearScan(routes, host, u)?.name)
        }
      }),
      { numRuns: 3000 },
    )
  })

  it('on requests built from the routes themselves (every prefix, and one character more or less)', () => {
    fc.assert(
      fc.property(fc.array(route$, { minLength: 1, maxLength: 30 }), (specs) => {
        const routes = specs.map((s, i) => route(`r${i}`, s.host, s.prefix))
        const t = table(routes)
        for (const r of routes) {
          const p = r.match.pathPrefix
          for (const u of [p, p.slice(0, -1), `${p}/`, `${p}a`, `${p}?q`, `${p}/x/y`]) {
            for (const host of [r.match.host, r.match.host?.toUpperCase(), `${r.match.host ?? 'other'}:443`, undefined]) {
              expect(findRoute(t, host, u)?.name, `host ${JSON.stringify(host)} url ${JSON.stringify(u)}`).toBe(linearScan(routes, host, u)?.name)
            }
          }
        }
      }),
      { numRuns: 300 },
    )
  })

  it('keeps the documented examples', () => {
    const routes = [
      route('checkout', 'shop.example.com', '/checkout'),
      route('shop-root', 'shop.example.com', '/'),
      route('api-v2', undefined, '/api/v2/'),
      route('api', undefined, '/api'),
      route('site', undefined, '/'),
    ]
    const t = table(routes)
    const name = (host: string | undefined, u: string): string | undefined => findRoute(t, host, u)?.name
    expect(name('Shop.Example.COM:8080', '/checkout')).toBe('checkout')
    expect(name('shop.example.com', '/checkout/pay?x=1')).toBe('checkout')
    expect(name('shop.example.com', '/checkout?x=1')).toBe('checkout')
    expect(name('shop.example.com', '/checkouts')).toBe('shop-root')
    expect(name('shop.example.com', '/api/v2/x')).toBe('shop-root') // an earlier route for this host wins
    expect(name('other.example', '/api/v2/x')).toBe('api-v2')
    expect(name('other.example', '/api/v2')).toBe('api') // '/api/v2/' needs its slash
    expect(name('other.example', '/apis')).toBe('site')
    expect(name(undefined, '/checkout')).toBe('site')
    expect(name(undefined, 'http://shop.example.com/checkout')).toBeUndefined()
    expect(findRoute(table([route('only', 'a.example', '/')]), 'b.example', '/')).toBeUndefined()
  })

  it('a later duplicate of a host and prefix never wins', () => {
    const t = table([route('first', 'a.example', '/x'), route('second', 'a.example', '/x'), route('any', undefined, '/x')])
    expect(findRoute(t, 'a.example', '/x/1')?.name).toBe('first')
    expect(findRoute(t, 'b.example', '/x/1')?.name).toBe('any')
  })

  it('at 10,000 host routes finds the first and the last', () => {
    const routes = Array.from({ length: 10_000 }, (_, i) => route(`svc${i}`, `svc${i}.example.com`, `/api${i}`))
    const t = table(routes)
    expect(findRoute(t, 'svc0.example.com', '/api0/x')?.name).toBe('svc0')
    expect(findRoute(t, 'SVC9999.example.com:80', '/api9999?q')?.name).toBe('svc9999')
    expect(findRoute(t, 'svc9999.example.com', '/api999')).toBeUndefined()
    expect(findRoute(t, 'svc1.example.com', '/api10')).toBeUndefined()
  })

  it('reuses the index while the route list is the same array (a live change), rebuilds it for another', () => {
    const routes = Object.freeze([route('a', undefined, '/a'), route('b', undefined, '/b')])
    const first = table(routes)
    expect(table(routes, first).index).toBe(first.index)
    const reloaded = Object.freeze([route('b', undefined, '/b'), route('a', undefined, '/a')])
    const second = table(reloaded, first)
    expect(second.index).not.toBe(first.index)
    expect(second.index).toEqual(indexRoutes(reloaded))
    expect(findRoute(second, undefined, '/a')?.name).toBe('a')
  })
})

describe('withViews (a live change of a few routes)', () => {
  const view = (name: string, percentBp: number) => ({ name, percentBp }) as unknown as TargetView

  it('equals compiling the whole table with the changed views, and keeps every other compiled route', () => {
    fc.assert(fc.property(
      fc.array(fc.nat(9), { minLength: 1, maxLength: 40 }), fc.array(fc.nat(60), { maxLength: 8 }),
      (hosts, changedAt) => {
        const routes = Object.freeze(hosts.map((h, i) => route(`r${i}`, h === 0 ? undefined : `h${h}.example`, `/p${i}`)))
        const backends = new Map(routes.map((r) => [r.name, {} as RouteBackends]))
        const before = new Map(routes.map((r) => [r.name, view(r.name, 100)]))
        const current = compileRoutes(routes, before, backends)
        const changed = new Map<string, TargetView>()
        for (const i of changedAt) if (i < routes.length) changed.set(`r${i}`, view(`r${i}`, 200 + i))
        const after = new Map([...before, ...changed])
        const patched = withViews(current, routes, changed, () => undefined)!
        const whole = compileRoutes(routes, after, backends)
        expect(patched.routes).toEqual(whole.routes)
        expect(patched.positions).toEqual(whole.positions)
        expect(patched.index).toBe(current.index)
        patched.routes.forEach((c, i) => {
          if (changed.has(c.name)) expect(c.view).toBe(changed.get(c.name))
          else expect(c).toBe(current.routes[i])
          expect(routeNamed(patched, c.name)).toBe(c)
        })
      },
    ))
  })

  it('declines a table compiled from another route list (a reload in between): the caller compiles it whole', () => {
    const routes = Object.freeze([route('a', undefined, '/a')])
    const current = table(routes)
    const other = Object.freeze([route('a', undefined, '/a')])
    expect(withViews(current, other, new Map([['a', view('a', 1)]]), () => undefined)).toBeUndefined()
  })
})

describe('HostTable', () => {
  it('finds hosts from Host headers: any ASCII case, with or without port, IPv6 literals', () => {
    const hosts = new HostTable(new Map([['shop.example.com', 1], ['[::1]', 2], ['127.0.0.1', 3], ['bücher.example', 4]]))
    expect(hosts.find('shop.example.com')).toBe(1)
    expect(hosts.find('SHOP.Example.Com:8443')).toBe(1)
    expect(hosts.find('[::1]:8080')).toBe(2)
    expect(hosts.find('127.0.0.1:80')).toBe(3)
    expect(hosts.find('BÜCHER.example')).toBe(4)
    expect(hosts.find('shop.example.co')).toBeUndefined()
    expect(hosts.find('')).toBeUndefined()
    expect(hosts.find(':80')).toBeUndefined()
  })

  it('holds many hosts, colliding or not', () => {
    const n = 5000
    const hosts = new HostTable(new Map(Array.from({ length: n }, (_, i) => [`h${i}.example`, i])))
    for (let i = 0; i < n; i++) expect(hosts.find(`H${i}.EXAMPLE:1`)).toBe(i)
    expect(hosts.find(`h${n}.example`)).toBeUndefined()
  })
})
