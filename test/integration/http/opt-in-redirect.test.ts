import { request } from 'undici'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'

/** `redirect=` of /_sluice/opt-in|out: any decoded target gives a clean answer, never an empty reply. */
let origin: TestBackend
let dp: TestDataPlane

beforeAll(async () => {
  origin = await startBackend('old')
  dp = await startDataPlane([routeConfig({ name: 'shop', old: [origin.url], new: [origin.url], optIn: true })])
})

afterAll(async () => {
  await dp.close()
  await origin.close()
})

async function optIn(redirect: string): Promise<{ status: number; location: unknown; body: string }> {
  const res = await request(`${dp.url}/_sluice/opt-in?route=shop&redirect=${redirect}`)
  return { status: res.statusCode, location: res.headers.location, body: await res.body.text() }
}

test('a redirect beyond Latin-1 is sent percent-encoded as UTF-8', async () => {
  expect(await optIn('/caf%C3%A9/%E2%82%AC')).toMatchObject({ status: 302, location: '/caf%C3%A9/%E2%82%AC' })
  expect(await optIn('/%F0%9F%8D%AA?x=1')).toMatchObject({ status: 302, location: '/%F0%9F%8D%AA?x=1' })
  expect(await optIn('/a+b')).toMatchObject({ status: 302, location: '/a%20b' })
})

test('an ASCII redirect is unchanged', async () => {
  expect(await optIn('/account')).toMatchObject({ status: 302, location: '/account' })
})

test('a redirect whose %-encoding is not UTF-8 is a 400 with a JSON body, not an empty reply', async () => {
  const res = await optIn('/%FF')
  expect(res.status).toBe(400)
  expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'bad_request' } })
})

test('the data plane keeps serving after them', async () => {
  const res = await request(`${dp.url}/ok`)
  expect(res.statusCode).toBe(200)
  await res.body.dump()
})
