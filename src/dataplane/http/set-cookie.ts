/**
 * One year, for both cookies sluice sets: an assigned id outlives any rollout (an anonymous visitor
 * stays on one side throughout), and a user's own opt-in/out choice outlives any single rollout.
 */
export const COOKIE_MAX_AGE_S = 31_536_000

/**
 * The Set-Cookie value of a cookie sluice sets (the assigned sticky id, the opt-in/out choice):
 * site-wide, for a year, out of scripts' reach, sent on top-level navigations; `Secure` when the
 * client came over HTTPS.
 */
export function setCookieValue(name: string, value: string, secure = false): string {
  return `${name}=${value}; Path=/; Max-Age=${COOKIE_MAX_AGE_S}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`
}
