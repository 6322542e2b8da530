import { describe, expect, it } from 'vitest'
import { loadConfigFile } from '../../../src/config/load.js'

describe('notify.webhooks', () => {
  it('plain URLs keep their meaning; objects take format, events, headers and secret', async () => {
    const result = await loadConfigFile('test/fixtures/configs/valid/webhooks.yaml', { WEBHOOK_SECRET: 'from-env' })
    if (!result.ok) throw new Error(JSON.stringify(result.problems))
    expect(result.config.notify.webhooks).toEqual([
      { url: 'https://hooks.example.com/plain', format: 'json', events: ['rolled_back', 'completed', 'paused'], headers: {} },
      { url: 'https://hooks.slack.com/services/T000/B000/XXXX', format: 'slack', events: ['rolled_back', 'step'], headers: {} },
      { url: 'https://ops.example.com/sluice', format: 'json', events: ['rolled_back', 'completed', 'paused'], headers: { 'x-api-key': 'dev-key' }, secret: 'from-env' },
    ])
  })
})
