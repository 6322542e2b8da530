import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ErrorCodes, SluiceError } from '../../src/util/errors.js'

describe('error catalogue', () => {
  const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8')

  it.each(Object.keys(ErrorCodes))('%s is documented in the README', (code) => {
    expect(readme).toContain(`\`${code}\``)
  })

  it('carries code, status and cause', () => {
    const cause = new Error('boom')
    const err = new SluiceError('SLUICE_ERR_UPSTREAM_TIMEOUT', undefined, { cause })
    expect(err.code).toBe('SLUICE_ERR_UPSTREAM_TIMEOUT')
    expect(err.status).toBe(504)
    expect(err.cause).toBe(cause)
    expect(err.message).toBe(ErrorCodes.SLUICE_ERR_UPSTREAM_TIMEOUT.message)
  })
})
