import { OFREPWebProvider, type OFREPWebProviderOptions } from '@openfeature/ofrep-web-provider'
import { OpenFeature, type Provider } from '@openfeature/web-sdk'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SluiceApp } from '../../../src/app/index.js'
import { appConfig, startApp } from '../../helpers/app.js'
import { findNginx, NO_NGINX_REASON, startNginx, type NginxInstance } from '../../helpers/nginx.js'
import { ofrepCall, proxiedSide } from '../../helpers/ofrep.js'
import { startSideBackend, type SideBackend } from '../../helpers/side-backend.js'

const TOKEN = 'ofrep-nginx-token'
const DOMAIN = 'sluice-same-origin'

/**
 * The README's same-origin path, with a real nginx: the browser (here the web SDK in Node, sending
 * the site's Origin as a browser would) calls /flags on the site and never sees the admin token;
 * nginx forwards exactly the bulk evaluation and adds the token. Nothing else of the admin plane is
 * reachable through it.
 */
describe('the browser\'s same-origin OFREP path through nginx (README "Feature flags")', () => {
  let oldSide: SideBackend
  let newSide: SideBackend
  let app: SluiceApp
  let nginx: NginxInstance
  let data = ''
  let admin = ''
  let adminHostPort = ''

  beforeAll(async () => {
    const bin = findNginx()
    if (bin === undefined) throw new Error(NO_NGINX_REASON)
    oldSide = await startSideBackend('old')
    newSide = await startSideBackend('new')
    ;({ app, data, admin } = await startApp(appConfig(`routes:
  - name: checkout
    old: ${oldSide.url}
    new: ${newSide.url}
    percent: 50
    sticky: [header:x-user-id]
`, { token: TOKEN })))
    adminHostPort = new URL(admin).host
    // The README's location, with this test's admin address and token.
    nginx = await startNginx({
      bin,
      http: '  limit_req_zone $binary_remote_addr zone=flags:1m rate=100r/s;',
      locations: `
    location = /flags/ofrep/v1/evaluate/flags {
      limit_except POST { deny all; }
      limit_req zone=flags burst=200;
      client_max_body_size 4k;
      proxy_pass ${admin}/ofrep/v1/evaluate/flags;
      proxy_set_header Host ${adminHostPort};
      proxy_set_header Origin "";
      proxy_set_header Cookie "";
      proxy_set_header Authorization "Bearer ${TOKEN}";
    }`,
    })
  })
  afterAll(async () => {
    await OpenFeature.close()
    await nginx?.stop()
    await app?.shutdown('test')
    await oldSide?.close()
    await newSide?.close()
  })

  it('the web provider, given only the site\'s origin and no token, gets each user\'s side', async () => {
    const sent: Array<string | null> = []
    const browserFetch = async (...[input, init]: Parameters<typeof fetch>): Promise<Response> => {
      const req = new Request(input, init)
      sent.push(req.headers.get('authorization'))
      req.headers.set('origin', nginx.origin)
      return fetch(req)
    }
    await OpenFeature.setContext(DOMAIN, { targetingKey: 'user-0' })
    await OpenFeature.setProviderAndWait(DOMAIN, webProvider({
      baseUrl: `${nginx.origin}/flags`, fetchImplementation: browserFetch,
      cacheMode: 'disabled', changeDetection: 'none', disableVisibilityRefresh: true, pollInterval: 0,
    }))
    const client = OpenFeature.getClient(DOMAIN)
    for (let i = 0; i < 40; i++) {
      await OpenFeature.setContext(DOMAIN, { targetingKey: `user-${i}` })
      const details = client.getBooleanDetails('checkout', false)
      expect(details.errorCode).toBeUndefined()
      expect(details.variant).toBe(await proxiedSide(data, '/cart', { 'x-user-id': `user-${i}` }))
    }
    expect(sent.every((a) => a === null)).toBe(true)
  })

  it('without the forwarding the browser\'s Origin is refused by the admin plane; through it nothing but the bulk call passes', async () => {
    const direct = await ofrepCall(admin, '/ofrep/v1/evaluate/flags', { token: TOKEN, headers: { origin: nginx.origin } })
    expect(direct.status).toBe(403)
    const status = async (path: string, method = 'POST', contentType = 'application/json') => {
      const res = await request(`${nginx.origin}${path}`, { method, headers: { 'content-type': contentType, origin: nginx.origin }, body: method === 'POST' ? '{}' : null })
      await res.body.dump()
      return res.statusCode
    }
    expect(await status('/flags/ofrep/v1/evaluate/flags')).toBe(200)
    expect(await status('/flags/ofrep/v1/evaluate/flags/checkout')).toBe(404)
    expect(await status('/flags/api/routes', 'GET')).toBe(404)
    expect(await status('/flags/ofrep/v1/evaluate/flags', 'GET')).toBe(403)
    // a foreign page's "simple" request (no preflight) still meets the content-type rule
    expect(await status('/flags/ofrep/v1/evaluate/flags', 'POST', 'text/plain')).toBe(415)
  })
})

/**
 * The provider as the SDK's Provider type (see web-sdk.test.ts: the package's optional `hooks` under
 * exactOptionalPropertyTypes).
 */
function webProvider(options: OFREPWebProviderOptions): Provider {
  return new OFREPWebProvider(options) as unknown as Provider
}
