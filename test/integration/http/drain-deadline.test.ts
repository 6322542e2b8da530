import type { ServerResponse } from 'node:http'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { rawExchange, routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'

let origin: TestBackend
let dp: TestDataPlane
const parked: ServerResponse[] = []
let arrived: () => void = () => {}
const requestArrived = new Promise<void>((r) => { arrived = r })
let originClosed: () => void = () => {}
const originSawClose = new Promise<void>((r) => { originClosed = r })

beforeAll(async () => {
  // Never answers.
  origin = await startBackend('old', (_req, res) => {
    parked.push(res)
    res.on('close', () => originClosed())
    arrived()
  })
  dp = await startDataPlane([routeConfig({ name: 'r', old: [origin.url], new: [origin.url] })])
})

afterAll(async () => {
  await dp.close()
  await origin.close()
})

test('close() cuts off requests still in flight at its deadline, on both legs', async () => {
  const client = rawExchange(dp.port, 'GET /forever HTTP/1.1\r\nHost: x\r\n\r\n')
  await requestArrived

  await dp.plane.close(200)

  // The client's socket was closed without an answer, and the upstream request was aborted.
  expect(await client).toBe('')
  await originSawClose
  expect(dp.plane.inflight()).toBe(0)
})
