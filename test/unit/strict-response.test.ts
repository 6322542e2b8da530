import { describe, expect, it } from 'vitest'
import { parseResponses } from '../helpers/strict-response.js'

/** The fuzzer's judge of "well-formed": it must accept valid HTTP/1.1 answers and refuse the rest. */

const parse = (raw: string, methods: string[] = [], closed = true) => parseResponses(Buffer.from(raw, 'latin1'), methods, closed)

describe('strict HTTP/1.1 response parser', () => {
  it('frames by content-length, chunked coding (with extensions and trailers) and connection close', () => {
    const r = parse('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '3;x=y\r\nabc\r\n0\r\nx-t: 1\r\n\r\nHTTP/1.1 200 OK\r\n\r\nuntil close')
    expect(r.error).toBeUndefined()
    expect(r.pending).toBe(0)
    expect(r.responses.map((x) => [x.status, x.body.toString(), x.closeDelimited])).toEqual([[200, 'ok', false], [201, 'abc', false], [200, 'until close', true]])
  })

  it('knows bodiless answers: HEAD, 204, 304, and collects 1xx with the final answer', () => {
    const r = parse('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n', ['HEAD', 'GET'])
    expect(r.error).toBeUndefined()
    expect(r.responses.map((x) => [x.interim, x.status, x.body.length])).toEqual([[[100], 200, 0], [[], 204, 0]])
  })

  it('reports an answer cut off, and waits for more while the connection is open', () => {
    expect(parse('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nab').pending).toBeGreaterThan(0)
    expect(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab', [], false)).toMatchObject({ error: undefined, responses: [] })
    expect(parse('HTTP/1.1 200 OK\r\n\r\nmore to come', [], false).responses).toEqual([])
  })

  it.each([
    ['no status line', 'garbage\r\n\r\n'],
    ['HTTP/1.0 status line', 'HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n'],
    ['two content-lengths', 'HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 1\r\n\r\nx'],
    ['content-length and transfer-encoding', 'HTTP/1.1 200 OK\r\ncontent-length: 1\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['a coding other than chunked', 'HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\nx'],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n'],
    ['chunk data without CRLF', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\nabc\r\n0\r\n\r\n'],
    ['a header without a colon', 'HTTP/1.1 200 OK\r\nbroken\r\ncontent-length: 0\r\n\r\n'],
    ['a bare LF in a header', 'HTTP/1.1 200 OK\r\nx: a\nb\r\ncontent-length: 0\r\n\r\n'],
    ['a NUL in a header value', 'HTTP/1.1 200 OK\r\nx: a\0b\r\ncontent-length: 0\r\n\r\n'],
    ['obs-fold', 'HTTP/1.1 200 OK\r\nx: a\r\n b\r\ncontent-length: 0\r\n\r\n'],
    ['an interim answer with a body', 'HTTP/1.1 100 Continue\r\ncontent-length: 1\r\n\r\nx'],
    ['a second answer that is not HTTP', 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n{"x":1}'],
  ])('refuses %s', (_name, raw) => {
    expect(parse(raw).error).toBeDefined()
  })
})
