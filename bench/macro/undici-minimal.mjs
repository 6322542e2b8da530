// Baseline only: the leanest Node proxy measured — node:http server + undici
// Pool.dispatch with a raw handler, a random 90/10 split, no stickiness, no metrics, no hop-by-hop
// hygiene beyond what undici requires. It is the floor a Node proxy can reach on this machine, so
// sluice's cost above it is the cost of its features.
//
// Env: OLD, NEW (origins), PORT (0 = any), PERCENT (to new, default 10). Prints {"port":N} when listening.
import http from 'node:http'
import { Pool } from 'undici'
import { serveBaseline } from './lib.mjs'

const OLD = process.env.OLD
const NEW = process.env.NEW
const PERCENT = Number(process.env.PERCENT ?? 10)
if (!OLD || !NEW) throw new Error('OLD and NEW must be set')
const pools = {
  old: new Pool(OLD, { connections: 256, pipelining: 1 }),
  new: new Pool(NEW, { connections: 256, pipelining: 1 }),
}
const SKIP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect', 'proxy-connection', 'te', 'trailer'])

function headersOf(raw) {
  const out = []
  for (let i = 0; i < raw.length; i += 2) if (!SKIP.has(raw[i].toLowerCase())) out.push(raw[i], raw[i + 1])
  return out
}

const server = http.createServer((req, res) => {
  const pool = Math.random() * 100 < PERCENT ? pools.new : pools.old
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined
  pool.dispatch({ path: req.url, method: req.method, headers: headersOf(req.rawHeaders), body: hasBody ? req : null }, {
    onConnect() {},
    onHeaders(status, raw, resume) {
      const headers = []
      for (let i = 0; i < raw.length; i += 2) {
        const name = raw[i].toString()
        if (!SKIP.has(name.toLowerCase())) headers.push(name, raw[i + 1].toString())
      }
      res.writeHead(status, headers)
      res.on('drain', resume)
      return true
    },
    onData(chunk) { return res.write(chunk) },
    onComplete() { res.end() },
    onError(err) {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: err.message }))
      else res.destroy()
    },
  })
})
serveBaseline(server)
