import type { WebhookFormat } from '../config/types.js'
import type { SideFigures } from '../core/analysis.js'
import type { TransitionNotice } from './commands.js'
import { figuresOf } from './commands.js'
import { toPercent } from './status.js'

/**
 * What a webhook receiver gets: sluice's own JSON (`json`, README "Webhooks"), or one line a person
 * reads on a phone, wrapped the way Slack, Microsoft Teams and Discord render it. The line says what
 * happened, to what, why, and both sides' figures when analysis judged:
 *   "sluice: route checkout rolled back 5 % → 0 % (analysis): maxErrorRate over its bar. new 1,204 req,
 *    4.2 % errors, p99 230 ms · old 23,001 req, 0.3 % errors, p99 80 ms"
 */
export function webhookBody(n: TransitionNotice, format: WebhookFormat = 'json'): Record<string, unknown> {
  switch (format) {
    case 'json': return sluiceJson(n)
    // Slack incoming webhooks render `text` (mrkdwn); Discord webhooks render `content` (≤ 2000 chars).
    case 'slack': return { text: messageLine(n) }
    case 'discord': return { content: messageLine(n).slice(0, 2000) }
    // Teams: the Workflows "post to a channel when a webhook request is received" template takes an
    // Adaptive Card attachment (the Office 365 connector MessageCard is retired).
    case 'teams': return {
      type: 'message',
      attachments: [{
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body: [{ type: 'TextBlock', text: messageLine(n), wrap: true }] },
      }],
    }
  }
}

function sluiceJson(n: TransitionNotice): Record<string, unknown> {
  const body: Record<string, unknown> = {
    event: n.transition.notify, kind: n.ref.kind, name: n.ref.name, at: new Date(n.at).toISOString(),
    from: { percent: toPercent(n.from.percentBp), state: n.from.state },
    to: { percent: toPercent(n.to.percentBp), state: n.to.state },
    reason: n.transition.reason,
  }
  if (n.transition.verdict) body.figures = figuresOf(n.transition.verdict)
  return body
}

const VERBS: Readonly<Record<string, string>> = { rolled_back: 'rolled back', completed: 'completed', paused: 'paused', step: 'stepped' }

/** The one-line message of the chat formats. */
export function messageLine(n: TransitionNotice): string {
  const verb = VERBS[n.transition.notify ?? ''] ?? String(n.transition.notify)
  const move = `${toPercent(n.from.percentBp)} % → ${toPercent(n.to.percentBp)} %`
  const head = `sluice: ${n.ref.kind} ${n.ref.name} ${verb} ${move} (${n.transition.actor}): ${n.transition.reason}`
  const v = n.transition.verdict
  return v ? `${head}. new ${sideLine(v.new)} · old ${sideLine(v.old)}` : head
}

function sideLine(s: SideFigures): string {
  const p99 = s.p99Ms === null ? '' : `, p99 ${Math.round(s.p99Ms).toLocaleString('en-US')} ms`
  return `${s.requests.toLocaleString('en-US')} req, ${(s.errorRate * 100).toFixed(1)} % errors${p99}`
}
