// The bench's origins: two node:http servers, `old` and `new`, answering 200 with a ~100-byte JSON
// body over keep-alive, plus a stats server on a third port that counts hits per side and how many
// sticky keys (x-user-id) were seen on both sides since the last reset.
//
// Prints one JSON line on stdout once all three listen: {"old":PORT,"new":PORT,"stats":PORT}.
//   GET  /__stats  → {"old":N,"new":N,"keys":N,"split":N,"handshakes":N}   (split = keys seen on both
//                    sides; handshakes = TLS connections accepted by the https origins)
//   POST /__reset  → zero the counters and forget the keys
// HOST (default 127.0.0.1). Exits on SIGTERM/SIGINT after printing the final counts on stderr.
// With TLS_CERT and TLS_KEY (PEM files), the same two origins also listen over HTTPS, counted on the
// same sides: {"old","new","stats","oldTls","newTls"} (the https upstream rows).
import { readFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'

const HOST = process.env.HOST ?? '127.0.0.1'

function bodyFor(side) {
  const head = `{"backend":"${side}","ok":true,"pad":"`
  const tail = '"}'
  return Buffer.from(head + 'x'.repeat(100 - head.length - tail.length) + tail)
}

const counts = { old: 0, new: 0 }
let handshakes = 0
/** x-user-id → bit mask of the sides it reached (1 = old, 2 = new). */
let seen = new Map()

function originServer(side, tls) {
  const body = bodyFor(side)
  const bit = side === 'old' ? 1 : 2
  const headers = { 'content-type': 'application/json', 'content-length': String(body.length) }
  const handler = (req, res) => {
    counts[side]++
    const id = req.headers['x-user-id']
    if (id !== undefined) seen.set(id, (seen.get(id) ?? 0) | bit)
    // Drain any request body, then answer; GETs in the bench have none.
    if (req.readableEnded) {
      res.writeHead(200, headers)
      res.end(body)
    } else {
      req.resume()
      req.on('end', () => { res.writeHead(200, headers); res.end(body) })
    }
  }
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler)
  // Handshakes show whether a proxy keeps its TLS connections alive (a handful per run) or not.
  if (tls) server.on('secureConnection', () => { handshakes++ })
  // Longer than any proxy's pool idle timeout, so proxies never reuse a socket we are closing.
  server.keepAliveTimeout = 65_000
  server.headersTimeout = 66_000
  server.requestTimeout = 0
  return server
}

function stats() {
  let split = 0
  for (const m of seen.values()) if (m === 3) split++
  return { old: counts.old, new: counts.new, keys: seen.size, split, handshakes }
}

const statsServer = http.createServer((req, res) => {
  if (req.url === '/__reset' && req.method === 'POST') {
    counts.old = 0
    counts.new = 0
    handshakes = 0
    seen = new Map()
    res.writeHead(204).end()
    return
  }
  if (req.url === '/__stats') {
    const b = JSON.stringify(stats())
    res.writeHead(200, { 'content-type': 'application/json' }).end(b)
    return
  }
  res.writeHead(404).end()
})

const listen = (server) => new Promise((resolve, reject) => {
  server.once('error', reject)
  server.listen(Number(process.env.PORT ?? 0) || 0, HOST, () => resolve(server.address().port))
})

const servers = { old: originServer('old'), new: originServer('new'), stats: statsServer }
if (process.env.TLS_CERT && process.env.TLS_KEY) {
  const tls = { cert: readFileSync(process.env.TLS_CERT), key: readFileSync(process.env.TLS_KEY) }
  servers.oldTls = originServer('old', tls)
  servers.newTls = originServer('new', tls)
}
const ports = {}
for (const [name, s] of Object.entries(servers)) ports[name] = await listen(s)
process.stdout.write(JSON.stringify(ports) + '\n')

function stop() {
  process.stderr.write(`backend: final counts ${JSON.stringify(stats())}\n`)
  for (const s of Object.values(servers)) { s.closeAllConnections?.(); s.close() }
  setTimeout(() => process.exit(0), 200).unref()
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
// The parent going away (crash, kill -9) must not leave us behind.
process.stdin.on('end', stop)
process.stdin.on('error', stop)
process.stdin.resume()
