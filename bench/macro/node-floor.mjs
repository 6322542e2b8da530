// Baseline only, never a proxy: the floor of a Node proxy built on undici. A raw `net` server with a
// bare-bones request parser (GET without a body only, no validation at all: it would forward every
// smuggling vector) in front of undici Pool.dispatch, writing the response head as one string. It
// shows what node:http costs and what no Node proxy that forwards with undici can go below here.
import net from 'node:net'
import { Pool } from 'undici'
const OLD = process.env.OLD, NEW = process.env.NEW
const PERCENT = Number(process.env.PERCENT ?? 10)
const pools = {
  old: new Pool(OLD, { connections: 256, pipelining: 1 }),
  new: new Pool(NEW, { connections: 256, pipelining: 1 }),
}
const SKIP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect', 'proxy-connection', 'te', 'trailer'])
const CRLF2 = Buffer.from('\r\n\r\n')
class Conn {
  constructor(socket) { this.socket = socket; this.buf = null; this.busy = false; socket.on('data', onData); socket.conn = this; socket.on('error', noop) }
  feed() {
    if (this.busy || this.buf === null) return
    const end = this.buf.indexOf(CRLF2)
    if (end < 0) return
    const head = this.buf.latin1Slice(0, end)
    this.buf = end + 4 === this.buf.length ? null : this.buf.subarray(end + 4)
    const lines = head.split('\r\n')
    const rl = lines[0]
    const sp1 = rl.indexOf(' '), sp2 = rl.lastIndexOf(' ')
    const method = rl.slice(0, sp1), path = rl.slice(sp1 + 1, sp2)
    const headers = []
    for (let i = 1; i < lines.length; i++) {
      const l = lines[i]; const c = l.indexOf(':')
      const name = l.slice(0, c)
      if (!SKIP.has(name.toLowerCase())) headers.push(name, l.slice(c + 1).trim())
    }
    this.busy = true
    const pool = Math.random() * 100 < PERCENT ? pools.new : pools.old
    pool.dispatch({ path, method, headers, body: null }, new Handler(this))
  }
}
function noop() {}
function onData(chunk) { const c = this.conn; c.buf = c.buf === null ? chunk : Buffer.concat([c.buf, chunk]); c.feed() }
const STATUS = { 200: 'OK' }
class Handler {
  constructor(conn) { this.conn = conn; this.chunked = false }
  onConnect() {}
  onHeaders(status, raw) {
    let h = 'HTTP/1.1 ' + status + ' ' + (STATUS[status] ?? '') + '\r\n'
    let hasLen = false
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].latin1Slice()
      const lower = name.toLowerCase()
      if (SKIP.has(lower)) continue
      if (lower === 'content-length') hasLen = true
      h += name + ': ' + raw[i + 1].latin1Slice() + '\r\n'
    }
    if (!hasLen) { this.chunked = true; h += 'transfer-encoding: chunked\r\n' }
    h += 'connection: keep-alive\r\n\r\n'
    this.conn.socket.cork()
    this.conn.socket.write(h, 'latin1')
    return true
  }
  onData(chunk) {
    const s = this.conn.socket
    if (this.chunked) { s.write(chunk.length.toString(16) + '\r\n'); s.write(chunk); return s.write('\r\n') }
    return s.write(chunk)
  }
  onComplete() {
    const s = this.conn.socket
    if (this.chunked) s.write('0\r\n\r\n')
    s.uncork()
    this.conn.busy = false
    this.conn.feed()
  }
  onError() { this.conn.socket.destroy() }
}
const server = net.createServer({ noDelay: true }, (s) => new Conn(s))
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'))
const stop = () => { server.close(); setTimeout(() => process.exit(0), 200).unref() }
process.on('SIGTERM', stop); process.on('SIGINT', stop)
