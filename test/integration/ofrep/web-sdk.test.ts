import { OFREPWebProvider, type OFREPWebProviderOptions } from '@openfeature/ofrep-web-provider'
import { OpenFeature, type Provider } from '@openfeature/web-sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SluiceApp } from '../../../src/app/index.js'
import { appConfig, startApp } from '../../helpers/app.js'
import { call } from '../../helpers/admin.js'
import { proxiedSide } from '../../helpers/ofrep.js'
import { startSideBackend, type SideBackend } from '../../helpers/side-backend.js'
import { waitFor } from '../../helpers/wait-for.js'

const TOKEN = 'ofrep-web-token'
const DOMAIN = 'sluice-web'
const USERS = Array.from({ length: 200 }, (_, i) => `user-${i}`)

/**
 * The browser side of issue 15, run in Node: the OpenFeature web SDK with the OFREP web provider
 * evaluates every flag in one bulk call per context (static context), and its polling revalidates
 * that answer with the ETag. Each user's flag equals the side the data plane serves that user; an
 * unchanged answer comes back as 304, a live change as 200 with the new flags.
 */
describe('OpenFeature web SDK (OFREP web provider) agrees with the data plane', () => {
  let oldSide: SideBackend
  let newSide: SideBackend
  let app: SluiceApp
  let data = ''
  let admin = ''
  const statuses: number[] = []

  beforeAll(async () => {
    oldSide = await startSideBackend('old')
    newSide = await startSideBackend('new')
    ;({ app, data, admin } = await startApp(appConfig(`routes:
  - name: checkout
    old: ${oldSide.url}
    new: ${newSide.url}
    percent: 30
    sticky: [header:x-user-id]
    optIn: true
    groups:
      beta: { backend: new, key: header:x-user-email, users: [beta@example.com] }
`, { token: TOKEN })))
    // Records what sluice answered each bulk call (200 or 304), without changing the call.
    const recordingFetch = async (...args: Parameters<typeof fetch>): Promise<Response> => {
      const res = await fetch(...args)
      statuses.push(res.status)
      return res
    }
    await OpenFeature.setContext(DOMAIN, { targetingKey: USERS[0]! })
    await OpenFeature.setProviderAndWait(DOMAIN, webProvider({
      baseUrl: admin, headers: [['Authorization', `Bearer ${TOKEN}`]], fetchImplementation: recordingFetch,
      cacheMode: 'disabled', changeDetection: 'none', disableVisibilityRefresh: true, pollInterval: 0,
    }))
  })
  afterAll(async () => {
    await OpenFeature.close()
    await app?.shutdown('test')
    await oldSide?.close()
    await newSide?.close()
  })

  it('each user\'s flag, from the bulk answer for its context, is the proxy\'s side for that user', async () => {
    const client = OpenFeature.getClient(DOMAIN)
    const disagree: string[] = []
    let onNew = 0
    for (const user of USERS) {
      await OpenFeature.setContext(DOMAIN, { targetingKey: user })
      const details = client.getBooleanDetails('checkout', false)
      const proxy = await proxiedSide(data, '/cart', { 'x-user-id': user })
      if (details.variant !== proxy || details.value !== (proxy === 'new') || details.errorCode !== undefined) disagree.push(`${user}: sdk ${details.variant} proxy ${proxy}`)
      if (proxy === 'new') onNew++
    }
    expect(disagree).toEqual([])
    expect(onNew).toBeGreaterThan(20)
    expect(onNew).toBeLessThan(100)
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(USERS.length)
  })

  it('a beta member (e-mail attribute), an opted-out user and a live percent change', async () => {
    const client = OpenFeature.getClient(DOMAIN)
    await OpenFeature.setContext(DOMAIN, { targetingKey: 'someone', 'x-user-email': 'beta@example.com' })
    expect(client.getBooleanDetails('checkout', false)).toMatchObject({ value: true, reason: 'TARGETING_MATCH', flagMetadata: { reason: 'group:beta' } })
    const user = USERS[0]!
    await OpenFeature.setContext(DOMAIN, { targetingKey: user, 'sluice-opt-checkout': 'out' })
    expect(client.getBooleanDetails('checkout', true)).toMatchObject({ value: false, flagMetadata: { reason: 'opt-out' } })
    expect(await proxiedSide(data, '/cart', { 'x-user-id': user, cookie: 'sluice-opt-checkout=out' })).toBe('old')
    expect((await call(admin, 'PUT', '/api/routes/checkout/percent', { body: { percent: 99 }, token: TOKEN })).status).toBe(200)
    await OpenFeature.setContext(DOMAIN, { targetingKey: user })
    expect(client.getBooleanDetails('checkout', false)).toMatchObject({ flagMetadata: { percent: 99 } })
    expect(await proxiedSide(data, '/cart', { 'x-user-id': user })).toBe(client.getBooleanValue('checkout', false) ? 'new' : 'old')
  })

  it('polling revalidates with If-None-Match: 304 while nothing changed, then the live change arrives', async () => {
    const polled: number[] = []
    const pollingFetch = async (...args: Parameters<typeof fetch>): Promise<Response> => {
      const res = await fetch(...args)
      polled.push(res.status)
      return res
    }
    const domain = 'sluice-web-polling'
    expect((await call(admin, 'PUT', '/api/routes/checkout/percent', { body: { percent: 0 }, token: TOKEN })).status).toBe(200)
    await OpenFeature.setContext(domain, { targetingKey: 'user-poll' })
    await OpenFeature.setProviderAndWait(domain, webProvider({
      baseUrl: admin, headers: [['Authorization', `Bearer ${TOKEN}`]], fetchImplementation: pollingFetch,
      cacheMode: 'disabled', changeDetection: 'polling', disableVisibilityRefresh: true, pollInterval: 50,
    }))
    const client = OpenFeature.getClient(domain)
    expect(client.getBooleanValue('checkout', true)).toBe(false)
    await waitFor(() => polled.filter((s) => s === 304).length >= 3, { message: 'three 304 answers to the provider\'s polls' })
    expect((await call(admin, 'PUT', '/api/routes/checkout/percent', { body: { percent: 100 }, token: TOKEN })).status).toBe(200)
    await waitFor(() => client.getBooleanValue('checkout', false), { message: 'the polled flag after the live change' })
    expect(polled.lastIndexOf(200)).toBeGreaterThan(polled.indexOf(304))
    expect(await proxiedSide(data, '/cart', { 'x-user-id': 'user-poll' })).toBe('new')
  })
})

/**
 * The provider as the SDK's Provider type: the package declares `hooks?: Hook[]`, which this
 * repository's exactOptionalPropertyTypes reads as not assignable; at run time it is the same object.
 */
function webProvider(options: OFREPWebProviderOptions): Provider {
  return new OFREPWebProvider(options) as unknown as Provider
}
