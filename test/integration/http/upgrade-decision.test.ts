import { once } from 'node:events'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { routeConfig, startDataPlane, waitForOutcomes, type TestDataPlane } from '../../helpers/dataplane.js'

/** A backend that answers plain requests and WebSocket sessions with its name. */
async function startNamedBackend(name: string): Promise<{ backend: TestBackend; wss: WebSocketServer }> {
  const backend = await startBackend(name)
  const wss = new WebSocketServer({ server: backend.server })
  wss.on('connection', (ws) => ws.send(name))
  return { backend, wss }
}

let oldB: Awaited<ReturnType<typeof startNamedBackend>>
let newB: Awaited<ReturnType<typeof startNamedBackend>>
let dp: TestDataPlane

beforeAll(async () => {
  oldB = await startNamedBackend('old')
  newB = await startNamedBackend('new')
  dp = await startDataPlane([routeConfig({
    name: 'live', old: [oldB.backend.url], new: [newB.backend.url], percentBp: 5_000,
    sticky: [{ kind: 'header', name: 'x-user-id' }],
  })])
})

afterAll(async () => {
  await dp.close()
  for (const b of [oldB, newB]) {
    for (const c of b.wss.clients) c.terminate()
    b.wss.close()
    await b.backend.close()
  }
})

async function plainSide(id: string): Promise<string> {
  const res = await dp.client.request({ path: '/', method: 'GET', headers: { 'x-user-id': id } })
  return res.body.text()
}

async function wsSide(id: string): Promise<string> {
  const ws = new WebSocket(`ws://127.0.0.1:${dp.port}/socket`, { headers: { 'x-user-id': id } })
  try {
    const [data] = await once(ws, 'message') as [Buffer]
    return data.toString()
  } finally {
    ws.close()
    await once(ws, 'close')
  }
}

test('a WebSocket upgrade goes to the side plain requests with the same key go to, and yields one outcome', async () => {
  const ids = Array.from({ length: 8 }, (_, i) => `ws-user-${i}`)
  const sides = new Set<string>()
  for (const id of ids) {
    const expected = await plainSide(id)
    expect(await wsSide(id), id).toBe(expected)
    sides.add(expected)
  }
  expect([...sides].sort()).toEqual(['new', 'old'])

  const outcomes = await waitForOutcomes(dp, ids.length * 2)
  const upgrades = outcomes.filter((o) => o.status === 101)
  expect(upgrades).toHaveLength(ids.length)
  expect(upgrades.every((o) => o.name === 'live' && o.servedBy === o.side && o.error === undefined)).toBe(true)
})
