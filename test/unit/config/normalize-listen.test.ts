import { describe, expect, it } from 'vitest'
import { loadOk, ROUTE } from './load-helper.js'

describe('normalize: listen addresses', () => {
  it('parses IPv6 in brackets to a host without brackets', async () => {
    const config = await loadOk(`listen: "[::1]:9080"\nadmin: { listen: "[fe80::1]:0" }\nroutes:${ROUTE}`)
    expect(config.listen).toEqual({ host: '::1', port: 9080 })
    expect(config.admin.listen).toEqual({ host: 'fe80::1', port: 0 })
  })

  it('parses host names and IPv4', async () => {
    const config = await loadOk(`listen: 0.0.0.0:80\nadmin: { listen: "localhost:65535" }\nroutes:${ROUTE}`)
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 80 })
    expect(config.admin.listen).toEqual({ host: 'localhost', port: 65535 })
  })
})
