import { afterAll, beforeAll, expect, test } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'

let a: TestBackend
let b: TestBackend
let c: TestBackend
let dp: TestDataPlane

beforeAll(async () => {
  a = await startBackend('a')
  b = await startBackend('b')
  c = await startBackend('c')
  dp = await startDataPlane([
    routeConfig({ name: 'shop-checkout', match: { host: 'shop.example.com', pathPrefix: '/checkout' }, old: [a.url], new: [a.url] }),
    routeConfig({ name: 'checkout', match: { host: undefined, pathPrefix: '/checkout' }, old: [b.url], new: [b.url] }),
    // Never reached for /checkout…: the route above matches first.
    routeConfig({ name: 'shadowed', match: { host: undefined, pathPrefix: '/checkout/deep' }, old: [c.url], new: [c.url] }),
    routeConfig({ name: 'rest', match: { host: 'shop.example.com', pathPrefix: '/' }, old: [c.url], new: [c.url] }),
  ])
})

afterAll(async () => {
  await dp.close()
  await Promise.all([a.close(), b.close(), c.close()])
})

async function answer(host: string, path: string): Promise<string> {
  const res = await dp.client.request({ path, method: 'GET', headers: { host } })
  const body = await res.body.text()
  return res.statusCode === 404 ? '404' : body
}

test('routes match by host and segment-aware path prefix, first match wins', async () => {
  expect(await answer('shop.example.com', '/checkout')).toBe('a')
  expect(await answer('SHOP.example.com:8080', '/checkout/pay')).toBe('a')
  expect(await answer('other.example.com', '/checkout')).toBe('b')
  expect(await answer('other.example.com', '/checkout?step=2')).toBe('b')
  expect(await answer('other.example.com', '/checkout/deep/x')).toBe('b')
  expect(await answer('other.example.com', '/checkoutx')).toBe('404')
  expect(await answer('shop.example.com', '/checkoutx')).toBe('c')
  expect(await answer('other.example.com', '/')).toBe('404')
})
