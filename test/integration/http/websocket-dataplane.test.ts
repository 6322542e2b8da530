import { once } from 'node:events'
import type { WebSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { routeConfig, startDataPlane, waitForOutcomes, type TestDataPlane } from '../../helpers/dataplane.js'
import { openClient, startEchoBackend, waitFor, type WsBackend } from '../../helpers/ws.js'

/** The tunnel as wired into the real HTTP data plane: same decision as plain requests, one Outcome. */
describe('WebSocket upgrades through HttpDataPlane', () => {
  let oldSide: WsBackend
  let newSide: WsBackend
  let dp: TestDataPlane
  const greet = (side: string) => (ws: WebSocket): void => { ws.send(`hello from ${side}`) }

  beforeAll(async () => {
    oldSide = await startEchoBackend(greet('old'))
    newSide = await startEchoBackend(greet('new'))
    dp = await startDataPlane([routeConfig({
      name: 'chat', old: [oldSide.origin], new: [newSide.origin], percentBp: 10_000, exposeBackendHeader: true,
    })])
  })
  afterAll(async () => {
    await dp.close()
    await oldSide.close()
    await newSide.close()
  })

  async function session(): Promise<{ backendHeader: unknown; received: string[] }> {
    const { ws, headers, received } = await openClient(`ws://127.0.0.1:${dp.port}/chat`)
    ws.send('ping')
    expect(await waitFor(() => received.length === 2, 2_000)).toBe(true)
    ws.close()
    await once(ws, 'close')
    return { backendHeader: headers['x-sluice-backend'], received }
  }

  it('tunnels to the decided side and publishes one Outcome when the session ends', async () => {
    const before = dp.outcomes.length
    expect(await session()).toEqual({ backendHeader: 'new', received: ['hello from new', 'ping'] })
    const outcomes = await waitForOutcomes(dp, before + 1)
    expect(outcomes[before]).toMatchObject({ kind: 'route', name: 'chat', side: 'new', status: 101, error: undefined })
  })

  it('follows a live percent change like plain requests do', async () => {
    dp.setPercent('chat', 0)
    expect(await session()).toEqual({ backendHeader: 'old', received: ['hello from old', 'ping'] })
  })
})
