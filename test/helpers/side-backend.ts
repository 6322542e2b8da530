import { createServer, type IncomingMessage, type Server } from 'node:http'

/** A backend that answers `{"backend": SIDE}`; `delayMs` holds each response back. */
export interface SideBackend {
  url: string
  hits: number
  /** Share of requests answered 500 from now on (every k-th request, deterministic). */
  failRate: number
  /** Share of requests never answered (until close), every k-th request, deterministic. */
  hangRate: number
  close(): Promise<void>
}

export async function startSideBackend(side: 'old' | 'new', opts: { delayMs?: number } = {}): Promise<SideBackend> {
  const body = JSON.stringify({ backend: side })
  const state = { hits: 0, failRate: 0, failed: 0, hangRate: 0, hung: 0 }
  const server: Server = createServer((req: IncomingMessage, res) => {
    state.hits++
    req.resume()
    const fail = state.failRate > 0 && state.failed < Math.floor(state.hits * state.failRate)
    if (fail) state.failed++
    if (state.hangRate > 0 && state.hung < Math.floor(state.hits * state.hangRate)) {
      state.hung++
      return
    }
    const send = () => {
      res.writeHead(fail ? 500 : 200, { 'content-type': 'application/json', 'x-side': side })
      res.end(body)
    }
    if (opts.delayMs) setTimeout(send, opts.delayMs)
    else send()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    get hits() { return state.hits },
    set hits(v) { state.hits = v },
    get failRate() { return state.failRate },
    set failRate(v) { state.failRate = v },
    get hangRate() { return state.hangRate },
    set hangRate(v) { state.hangRate = v },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()) }),
  }
}
