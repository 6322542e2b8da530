import { createServer, type Server } from 'node:http'

/** A sample backend; `failRate` of its answers are 500s once set. */
export interface SampleBackend { server: Server; url: string; failRate: number }

/** A backend answering `{"backend": SIDE}` on 127.0.0.1 (port chosen by the kernel). */
export function sampleBackend(side: 'old' | 'new'): Promise<SampleBackend> {
  const ok = JSON.stringify({ backend: side })
  const failed = JSON.stringify({ backend: side, error: 'simulated failure' })
  const b = { failRate: 0 } as SampleBackend
  let n = 0
  b.server = createServer((_req, res) => {
    const fail = b.failRate > 0 && (n++ % Math.round(1 / b.failRate)) === 0
    const body = fail ? failed : ok
    res.writeHead(fail ? 500 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
  b.server.keepAliveTimeout = 10_000
  return new Promise((resolve) => b.server.listen(0, '127.0.0.1', () => {
    b.url = `http://127.0.0.1:${(b.server.address() as { port: number }).port}`
    resolve(b)
  }))
}

/** Resolves on Ctrl-C / SIGTERM, or after `durationMs`. */
export function untilStopped(durationMs: number | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => { process.off('SIGINT', done); process.off('SIGTERM', done); resolve() }
    process.once('SIGINT', done)
    process.once('SIGTERM', done)
    if (durationMs !== undefined) setTimeout(done, durationMs).unref()
  })
}
