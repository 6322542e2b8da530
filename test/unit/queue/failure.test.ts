import { describe, expect, it } from 'vitest'
import { PublishError, REFUSED_STATUS, toPublishError } from '../../../src/dataplane/queue/failure.js'
import { isSluiceError } from '../../../src/util/errors.js'

describe('toPublishError', () => {
  it.each([
    [Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'connect'],
    [Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }), 'timeout'],
    [Object.assign(new Error('x'), { code: 'ECONNRESET' }), 'reset'],
    [Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' }), 'connect'],
    [new Error('Command timed out'), 'timeout'],
    [new Error('Connection is closed.'), 'reset'],
    [new Error('x', { cause: Object.assign(new Error('y'), { code: 'EPIPE' }) }), 'reset'],
    [new AggregateError([Object.assign(new Error('y'), { code: 'ECONNREFUSED' })]), 'connect'],
    [Object.assign(new Error('WRONGTYPE Operation against a key'), { name: 'ReplyError' }), undefined],
  ])('classifies %s', (err, reason) => {
    const e = toPublishError(err)
    expect(e.reason).toBe(reason)
    expect(e.sinkStatus).toBe(REFUSED_STATUS)
    expect(isSluiceError(e)).toBe(true)
  })

  it('keeps a PublishError as it is (the HTTP status of a refusal survives)', () => {
    const e = new PublishError(undefined, 503, 'busy')
    expect(toPublishError(e)).toBe(e)
    expect(e.code).toBe('SLUICE_ERR_UPSTREAM_PROTOCOL')
    expect(new PublishError('timeout', 500, 't').code).toBe('SLUICE_ERR_UPSTREAM_TIMEOUT')
  })
})
