import { describe, expect, it } from 'vitest'
import { setCookieValue } from '../../../src/dataplane/http/set-cookie.js'

describe('setCookieValue', () => {
  it('sets a site-wide, one-year, HttpOnly, SameSite=Lax cookie, Secure only when asked', () => {
    expect(setCookieValue('sid', 'abc')).toBe('sid=abc; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax')
    expect(setCookieValue('sluice-opt-web', 'in', true))
      .toBe('sluice-opt-web=in; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax; Secure')
  })
})
