import { describe, expect, it } from 'vitest'
import { loadConfigText } from '../../../src/config/index.js'
import { loadOk, ROUTE } from './load-helper.js'

describe('normalize: admin.allowedHosts', () => {
  it('defaults to none and keeps the names lower-case', async () => {
    expect((await loadOk(`routes:${ROUTE}`)).admin.allowedHosts).toEqual([])
    const config = await loadOk(`admin: { allowedHosts: [Sluice-Admin.ops.svc, admin.example.com] }\nroutes:${ROUTE}`)
    expect(config.admin.allowedHosts).toEqual(['sluice-admin.ops.svc', 'admin.example.com'])
  })

  it('refuses a name with a port, a scheme or a wildcard', async () => {
    for (const bad of ['admin.example.com:8081', 'http://admin', '*.example.com']) {
      const r = await loadConfigText(`admin: { allowedHosts: ["${bad}"] }\nroutes:${ROUTE}`, 'sluice.yaml', {})
      expect(r.ok).toBe(false)
    }
  })
})
