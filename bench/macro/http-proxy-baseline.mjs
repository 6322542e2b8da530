// Baseline only: the "minimal Node proxy" most people would write with http-proxy (node-http-proxy)
// 1.18.1 and a keep-alive agent, splitting 90/10 at random between old and new.
// http-proxy is unmaintained and forwards request-smuggling vectors; it is never used for product
// traffic, only as a yardstick here.
//
// Env: OLD, NEW (origins, e.g. http://127.0.0.1:3001), PORT (0 = any), PERCENT (to new, default 10).
// Prints {"port":N} on stdout once listening.
import http from 'node:http'
import httpProxy from 'http-proxy'
import { serveBaseline } from './lib.mjs'

const OLD = process.env.OLD
const NEW = process.env.NEW
const PERCENT = Number(process.env.PERCENT ?? 10)
if (!OLD || !NEW) throw new Error('OLD and NEW must be set')

const proxy = httpProxy.createProxyServer({ agent: new http.Agent({ keepAlive: true, maxSockets: 256 }) })
proxy.on('error', (err, _req, res) => {
  if (res && typeof res.writeHead === 'function' && !res.headersSent) {
    res.writeHead(502, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: 'bad_gateway', message: err.message }))
  } else {
    res?.destroy?.()
  }
})

const server = http.createServer((req, res) => {
  proxy.web(req, res, { target: Math.random() * 100 < PERCENT ? NEW : OLD })
})
serveBaseline(server)
