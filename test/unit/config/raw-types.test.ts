import { describe, expectTypeOf, it } from 'vitest'
import type { RawConfig, RawEndpoint, RawQueue, RawRoute, RawShadow, RawWebhook } from '../../../src/config/raw.js'
import type { configSchema, SINK_TYPES, SOURCE_TYPES } from '../../../src/config/schema.js'

/**
 * raw.ts derives its types from the schema: these assertions are checked by `npm run typecheck`
 * (tsc reads test/), so a key added to the schema that the types missed fails the build.
 */
type Properties = (typeof configSchema)['properties']
type RouteProperties = Properties['routes']['items']['properties']
type QueueProperties = Properties['queues']['items']['properties']

describe('raw config types', () => {
  it('have exactly the keys the schema declares', () => {
    expectTypeOf<keyof RawConfig>().toEqualTypeOf<keyof Properties>()
    expectTypeOf<keyof RawRoute>().toEqualTypeOf<keyof RouteProperties>()
    expectTypeOf<keyof RawQueue>().toEqualTypeOf<keyof QueueProperties>()
    expectTypeOf<keyof RawShadow>().toEqualTypeOf<keyof RouteProperties['shadow']['properties']>()
  })

  it('make a key with a schema default required, and one without optional', () => {
    expectTypeOf<RawRoute>().toHaveProperty('optIn').toEqualTypeOf<boolean>()
    expectTypeOf<Pick<RawRoute, 'percent' | 'sticky'>>().toEqualTypeOf<{ percent: number; sticky: string[] }>()
    expectTypeOf<Pick<RawRoute, 'assignCookie'>>().toEqualTypeOf<{ assignCookie?: string }>()
    expectTypeOf<RawConfig['log']['level']>().toEqualTypeOf<Properties['log']['properties']['level']['enum'][number]>()
    expectTypeOf<Extract<RawWebhook, object>['format']>().toEqualTypeOf<'json' | 'slack' | 'teams' | 'discord'>()
  })

  it('keep the written-out endpoints to the endpoint types of the schema', () => {
    expectTypeOf<RawEndpoint['type']>().toEqualTypeOf<(typeof SOURCE_TYPES)[number] | (typeof SINK_TYPES)[number]>()
    expectTypeOf<RawEndpoint['type']>().toEqualTypeOf<EndpointTypes>()
    // Each written-out endpoint has exactly the keys of its type's branches (source and sink) in the schema.
    expectTypeOf<{ [T in EndpointTypes]: WrittenKeys<T> }>().toEqualTypeOf<{ [T in EndpointTypes]: SchemaKeys<T> }>()
  })
})

type Definitions = (typeof configSchema)['definitions']
type EndpointTypes = Definitions['source' | 'sink']['properties']['type']['enum'][number]
type Branch = Definitions['source' | 'sink']['allOf'][number]
/** The keys of every schema branch for endpoint type T (a union's keys, not only the shared ones). */
type BranchFor<T> = { readonly if: { readonly properties: { readonly type: { readonly const: T } } } }
type SchemaKeys<T> = KeysOf<Extract<Branch, BranchFor<T>>['then']['properties']>
type WrittenKeys<T> = keyof Extract<RawEndpoint, { readonly type: T }>
type KeysOf<U> = U extends unknown ? keyof U : never
