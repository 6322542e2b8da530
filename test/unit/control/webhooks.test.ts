import { createHmac } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import type { WebhookConfig } from '../../../src/config/types.js'
import type { TransitionNotice } from '../../../src/control/commands.js'
import { WebhookNotifier, webhookBody, webhookSignature } from '../../../src/control/notify.js'
import { messageLine } from '../../../src/control/webhook-message.js'
import type { Verdict } from '../../../src/core/analysis.js'
import { captureLogger } from '../../helpers/admin.js'
import { FakeRecorder } from './fixture.js'

const verdict: Verdict = {
  kind: 'fail', failed: ['maxErrorRate'], outside: [], checks: [{ check: 'maxErrorRate', pass: false, m: 31.2, bar: 20, limit: 0.02 }],
  old: { requests: 23001, errors: 69, errorRate: 0.003, p99Ms: 80, slow: 0 },
  new: { requests: 1204, errors: 51, errorRate: 0.0424, p99Ms: 230.4, slow: 0 },
  step: { old: { requests: 23001, errors: 69, slow: 0 }, new: { requests: 1204, errors: 51, slow: 0 } },
}

function notice(event: TransitionNotice['transition']['notify'], withVerdict = true): TransitionNotice {
  return {
    ref: { kind: 'route', name: 'checkout' }, at: Date.UTC(2026, 10, 26, 9),
    transition: { actor: 'analysis', reason: 'evidence over its bar 2 windows in a row: maxErrorRate (M 31.2 ≥ 20)', ...(event ? { notify: event } : {}), ...(withVerdict ? { verdict } : {}) },
    from: { percentBp: 500, state: 'progressing', step: 1, filePercentBp: 100 },
    to: { percentBp: 0, state: 'rolled_back', step: -1, filePercentBp: 100, updatedAt: 0, version: 2 },
  }
}

describe('webhook messages', () => {
  it('one line says what happened, to what, why, and both sides\' figures', () => {
    expect(messageLine(notice('rolled_back'))).toBe(
      'sluice: route checkout rolled back 5 % → 0 % (analysis): evidence over its bar 2 windows in a row: maxErrorRate (M 31.2 ≥ 20). ' +
      'new 1,204 req, 4.2 % errors, p99 230 ms · old 23,001 req, 0.3 % errors, p99 80 ms',
    )
  })

  it('wraps the line as Slack, Discord and Teams (Adaptive Card) render it', () => {
    const line = messageLine(notice('rolled_back'))
    expect(webhookBody(notice('rolled_back'), 'slack')).toEqual({ text: line })
    expect(webhookBody(notice('rolled_back'), 'discord')).toEqual({ content: line })
    const teams = webhookBody(notice('rolled_back'), 'teams') as { type: string; attachments: Array<{ contentType: string; content: { type: string; body: Array<{ text: string }> } }> }
    expect(teams.type).toBe('message')
    expect(teams.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive')
    expect(teams.attachments[0]!.content.type).toBe('AdaptiveCard')
    expect(teams.attachments[0]!.content.body[0]!.text).toBe(line)
  })

  it('json stays sluice\'s own body', () => {
    expect(webhookBody(notice('rolled_back', false))).toEqual({
      event: 'rolled_back', kind: 'route', name: 'checkout', at: '2026-11-26T09:00:00.000Z',
      from: { percent: 5, state: 'progressing' }, to: { percent: 0, state: 'rolled_back' },
      reason: 'evidence over its bar 2 windows in a row: maxErrorRate (M 31.2 ≥ 20)',
    })
  })
})

interface Received { readonly path: string; readonly headers: IncomingHttpHeaders; readonly body: string }

describe('WebhookNotifier', () => {
  let server: Server | undefined
  afterEach(async () => { await new Promise((r) => server ? server.close(r) : r(undefined)); server = undefined })

  /** A receiver that answers `statuses` in turn (then 204) and records every request. */
  async function receiver(statuses: number[] = []): Promise<{ url: (path: string) => string; received: Received[] }> {
    const received: Received[] = []
    server = createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => { body += c.toString() })
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body })
        res.writeHead(statuses.shift() ?? 204).end()
      })
    })
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
    const port = (server.address() as { port: number }).port
    return { url: (path) => `http://127.0.0.1:${port}${path}`, received }
  }

  it('sends each webhook only the events it asked for; plain URLs never hear steps', async () => {
    const rx = await receiver()
    const hooks: WebhookConfig[] = [
      { url: rx.url('/plain'), format: 'json', events: ['rolled_back', 'completed', 'paused'], headers: {} },
      { url: rx.url('/steps'), format: 'slack', events: ['step'], headers: {} },
    ]
    const recorder = new FakeRecorder()
    const notifier = new WebhookNotifier(() => hooks, captureLogger().logger, recorder)
    notifier.notify(notice('step'))
    notifier.notify(notice(undefined))
    await notifier.flush()
    expect(rx.received.map((r) => r.path)).toEqual(['/steps'])
    expect(JSON.parse(rx.received[0]!.body)).toHaveProperty('text')
    notifier.notify(notice('rolled_back'))
    await notifier.flush()
    expect(rx.received.map((r) => r.path)).toEqual(['/steps', '/plain'])
    expect(recorder.deliveries).toEqual(['delivered', 'delivered'])
  })

  it('signs TIMESTAMP.BODY with the secret, sends configured headers, never lets them replace its own', async () => {
    const rx = await receiver()
    const hook: WebhookConfig = { url: rx.url('/signed'), format: 'json', events: ['rolled_back'], headers: { 'x-api-key': 'k1', 'content-type': 'text/plain' }, secret: 's3cret' }
    const notifier = new WebhookNotifier(
      () => [hook], captureLogger().logger, new FakeRecorder(), () => 1_790_000_000_123,
    )
    notifier.notify(notice('rolled_back'))
    await notifier.flush()
    const { headers, body } = rx.received[0]!
    expect(headers['x-api-key']).toBe('k1')
    expect(headers['content-type']).toBe('application/json')
    expect(headers['x-sluice-timestamp']).toBe('1790000000')
    // The receiver's check, written independently of webhookSignature.
    const expected = 'sha256=' + createHmac('sha256', 's3cret').update(`1790000000.${body}`).digest('hex')
    expect(headers['x-sluice-signature']).toBe(expected)
    expect(webhookSignature('s3cret', '1790000000', body)).toBe(expected)
  })

  it('no secret, no signature headers', async () => {
    const rx = await receiver()
    const notifier = new WebhookNotifier(() => [{ url: rx.url('/'), format: 'json', events: ['rolled_back'], headers: {} }], captureLogger().logger, new FakeRecorder())
    notifier.notify(notice('rolled_back'))
    await notifier.flush()
    expect(rx.received[0]!.headers['x-sluice-signature']).toBeUndefined()
    expect(rx.received[0]!.headers['x-sluice-timestamp']).toBeUndefined()
  })

  it('counts retries and a delivery given up after all attempts', async () => {
    const rx = await receiver([500, 500, 500])
    const recorder = new FakeRecorder()
    const { logger, lines } = captureLogger()
    const notifier = new WebhookNotifier(() => [{ url: rx.url('/down?token=secret'), format: 'json', events: ['rolled_back'], headers: {} }], logger, recorder)
    notifier.notify(notice('rolled_back'))
    await notifier.flush()
    expect(rx.received).toHaveLength(3)
    expect(recorder.deliveries).toEqual(['retried', 'retried', 'failed'])
    expect(lines.some((l) => l.msg === 'webhook event dropped after retries')).toBe(true)
    expect(JSON.stringify(lines)).not.toContain('token=secret')
  })
})
