import { createServer } from 'node:net'

/**
 * A port that was free a moment ago on 127.0.0.1, for peers that cannot listen on port 0 and
 * report back (redis-server, nginx). Someone may take it before the peer binds: retry on a clash.
 * Never for sluice's own listeners, which use port 0.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}
