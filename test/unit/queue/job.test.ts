import { describe, expect, it } from 'vitest'
import { bodyId, contentId, jobKeyReader, parseBody, readField, stickyKey } from '../../../src/dataplane/queue/job.js'
import { bullmqJobId } from '../../../src/dataplane/queue/sinks/bullmq.js'

describe('job ids and keys', () => {
  it('parses JSON once and yields undefined for anything else', () => {
    expect(parseBody('{"a":1}')).toEqual({ a: 1 })
    expect(parseBody('not json')).toBeUndefined()
    expect(parseBody('')).toBeUndefined()
  })

  it.each([
    [{ id: 'a-1' }, 'a-1'], [{ id: 42 }, '42'], [{ id: '' }, undefined], [{ id: null }, undefined],
    [{ id: { x: 1 } }, undefined], [{ other: 1 }, undefined], ['"text"', undefined], [undefined, undefined],
  ])('the body id of %j is %j', (data, id) => {
    expect(bodyId(data)).toBe(id)
  })

  it('derives a stable, content-based id for bodies without one (sha256, 128 bits)', () => {
    const a = contentId('{"x":1}')
    expect(a).toMatch(/^sha256-[0-9a-f]{32}$/)
    expect(contentId('{"x":1}')).toBe(a)
    expect(contentId('{"x":2}')).not.toBe(a)
  })

  it('reads json:FIELD from the top level, then as a dotted path', () => {
    const data = { tenantId: 't1', n: 7, ok: true, empty: '', nested: { org: 'o9' }, 'a.b': 'flat' }
    expect(readField(data, 'tenantId')).toBe('t1')
    expect(readField(data, 'n')).toBe('7')
    expect(readField(data, 'ok')).toBe('true')
    expect(readField(data, 'empty')).toBeUndefined()
    expect(readField(data, 'nested')).toBeUndefined()
    expect(readField(data, 'nested.org')).toBe('o9')
    expect(readField(data, 'a.b')).toBe('flat')
    expect(readField(data, 'missing')).toBeUndefined()
    expect(readField('text', 'x')).toBeUndefined()
  })

  it('takes the first present sticky source; other kinds read nothing from a job', () => {
    const sources = [{ kind: 'header', name: 'x' }, { kind: 'json', field: 'user' }, { kind: 'json', field: 'tenant' }] as const
    expect(stickyKey(sources, { tenant: 't', user: 'u' })).toBe('u')
    expect(stickyKey(sources, { tenant: 't' })).toBe('t')
    expect(stickyKey(sources, undefined)).toBeUndefined()
    expect(jobKeyReader({ email: 'a@b' }).read({ kind: 'json', field: 'email' })).toBe('a@b')
    expect(jobKeyReader({ email: 'a@b' }).read({ kind: 'ip' })).toBeUndefined()
  })
})

describe('bullmqJobId', () => {
  const ids = ['order-1', 'a:b', 'a%3Ab', '%', '42', '-7', '%342', '4:2', '007', '1e3', 'sha256-ab', '25', '%25']

  it('leaves ids BullMQ accepts unchanged', () => {
    for (const id of ['order-1', 'sha256-ab', '007', '1e3', 'x y']) expect(bullmqJobId(id)).toBe(id)
  })

  it('never yields what BullMQ refuses (":" or integer-like)', () => {
    for (const id of ids) {
      const out = bullmqJobId(id)
      expect(out).not.toContain(':')
      expect(`${parseInt(out, 10)}`).not.toBe(out)
    }
  })

  it('is reversible with decodeURIComponent, hence injective', () => {
    for (const id of ids) expect(decodeURIComponent(bullmqJobId(id))).toBe(id)
    expect(new Set(ids.map(bullmqJobId)).size).toBe(ids.length)
    expect(bullmqJobId('42')).toBe('%342')
    expect(bullmqJobId('a:b')).toBe('a%3Ab')
  })
})

describe('stream entries as jobs', () => {
  it('the field id wins, then the body id, then the entry id', async () => {
    const { entryToJob } = await import('../../../src/dataplane/queue/sources/redis-stream.js')
    expect(entryToJob('1-0', ['id', 'f', 'body', '{"id":"b"}'])).toMatchObject({ id: 'f', body: '{"id":"b"}', raw: '1-0' })
    expect(entryToJob('1-0', ['body', '{"id":"b"}']).id).toBe('b')
    expect(entryToJob('1-0', ['body', '{"x":1}']).id).toBe('1-0')
  })

  it('an entry without a body field is its fields as a JSON object', async () => {
    const { entryToJob } = await import('../../../src/dataplane/queue/sources/redis-stream.js')
    const job = entryToJob('2-0', ['tenantId', 't1', 'id', 'j'])
    expect(job).toMatchObject({ id: 'j', body: '{"tenantId":"t1"}', data: { tenantId: 't1' } })
  })
})
