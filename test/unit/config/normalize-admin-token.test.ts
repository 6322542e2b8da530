import { describe, expect, it } from 'vitest'
import { loadOk, ROUTE } from './load-helper.js'

describe('normalize: admin.token', () => {
  it('falls back to SLUICE_ADMIN_TOKEN when the file has none', async () => {
    const config = await loadOk(`routes:${ROUTE}`, { SLUICE_ADMIN_TOKEN: 'from-env' })
    expect(config.admin.token).toBe('from-env')
  })

  it('prefers the file over the environment', async () => {
    const config = await loadOk(`admin: { token: from-file }\nroutes:${ROUTE}`, { SLUICE_ADMIN_TOKEN: 'from-env' })
    expect(config.admin.token).toBe('from-file')
  })

  it('treats an empty SLUICE_ADMIN_TOKEN as unset', async () => {
    const config = await loadOk(`routes:${ROUTE}`, { SLUICE_ADMIN_TOKEN: '' })
    expect(config.admin.token).toBeUndefined()
  })
})
