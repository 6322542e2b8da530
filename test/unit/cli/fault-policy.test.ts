import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { FaultPolicy } from '../../../src/cli/fault-policy.js'
import type { InternalErrorSource } from '../../../src/observe/metrics/recorder.js'
import { captureLogger } from '../../helpers/admin.js'

function setup() {
  const proc = new EventEmitter()
  const { logger, lines } = captureLogger()
  const counted: InternalErrorSource[] = []
  const policy = new FaultPolicy({ logger, count: (s) => counted.push(s), proc }).install()
  return { proc, lines, counted, policy }
}

describe('the process-level fault policy', () => {
  it('while starting, a fault is fatal: counted, logged with its stack, `fatal` resolves with it', async () => {
    const { proc, lines, counted, policy } = setup()
    const boom = new Error('boom at start')
    proc.emit('uncaughtException', boom)
    expect(await policy.fatal).toBe(boom)
    expect(counted).toEqual(['uncaught_exception'])
    expect(lines[0]).toMatchObject({ level: 'fatal', source: 'uncaught_exception', err: { message: 'boom at start', stack: expect.stringContaining('fault-policy.test.ts') } })
  })

  it('once serving, faults are logged and counted by source, and never fatal', async () => {
    const { proc, lines, counted, policy } = setup()
    policy.serving()
    proc.emit('unhandledRejection', new Error('lost promise'))
    proc.emit('uncaughtException', new Error('timer threw'))
    proc.emit('unhandledRejection', 'a string reason')
    expect(counted).toEqual(['unhandled_rejection', 'uncaught_exception', 'unhandled_rejection'])
    expect(lines.map((l) => [l.level, l.source, (l.err as { message: string }).message])).toEqual([
      ['error', 'unhandled_rejection', 'lost promise'],
      ['error', 'uncaught_exception', 'timer threw'],
      ['error', 'unhandled_rejection', 'non-error value: a string reason'],
    ])
    const fatal = await Promise.race([policy.fatal, Promise.resolve('not fatal')])
    expect(fatal).toBe('not fatal')
  })

  it('uninstall removes both listeners', () => {
    const { proc, policy } = setup()
    expect(proc.listenerCount('uncaughtException') + proc.listenerCount('unhandledRejection')).toBe(2)
    policy.uninstall()
    expect(proc.listenerCount('uncaughtException') + proc.listenerCount('unhandledRejection')).toBe(0)
  })
})
