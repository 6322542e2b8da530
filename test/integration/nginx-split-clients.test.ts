import { Pool } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { splitHash, thresholdFor } from '../../src/core/bucket.js'
import { seededRandom } from '../../src/util/random.js'
import { findNginx, NO_NGINX_REASON, startNginx, type NginxInstance } from '../helpers/nginx.js'

/**
 * The bucket promise of the README, checked against the real thing: for every key, sluice's
 * splitHash/thresholdFor put it on the side that nginx `split_clients "NAME:${arg_k}"` does.
 * `$arg_k` is the raw query value, so the keys are URL-safe: what is sent is what is hashed.
 */

const NGINX = findNginx()
const KEYS = 2_000
const CONCURRENCY = 16

/** Two routes and two percents, one of them with a fractional part (7.25 % = 725 bp). */
const SPLITS = [
  { name: 'checkout', variable: 'side_checkout', percent: '7.25%', bp: 725 },
  { name: 'search', variable: 'side_search', percent: '50%', bp: 5_000 },
] as const

const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~'

/** Distinct ASCII keys of lengths 0..48, covering every MurmurHash2 tail length. */
function makeKeys(): string[] {
  const rand = seededRandom(2026)
  const keys = new Set<string>(['', 'a', 'user-42', 'alice.example.com'])
  while (keys.size < KEYS) {
    const len = 1 + Math.floor(rand() * 48)
    let k = ''
    for (let i = 0; i < len; i++) k += URL_SAFE[Math.floor(rand() * URL_SAFE.length)]!
    keys.add(k)
  }
  return [...keys]
}

function sluiceSide(name: string, bp: number, key: string): string {
  return splitHash(name, key) < thresholdFor(bp) ? 'new' : 'old'
}

describe('the bucket equals nginx split_clients', () => {
  let nginx: NginxInstance | undefined
  let pool: Pool | undefined

  beforeAll(async () => {
    if (NGINX === undefined) return
    nginx = await startNginx({
      bin: NGINX,
      http: SPLITS.map((s) => `  split_clients "${s.name}:\${arg_k}" $${s.variable} { ${s.percent} new; * old; }`).join('\n'),
      locations: `    location / { return 200 "${SPLITS.map((s) => `$${s.variable}`).join(' ')}"; }`,
    })
    pool = new Pool(nginx.origin, { connections: CONCURRENCY })
  })
  afterAll(async () => {
    await pool?.destroy()
    await nginx?.stop()
  })

  const title = `on ${KEYS} keys at 7.25 % and 50 %`
  it.skipIf(NGINX === undefined)(NGINX === undefined ? `${title} — skipped: ${NO_NGINX_REASON}` : title, async () => {
    const keys = makeKeys()
    const answers = new Array<string>(keys.length)
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < keys.length) {
        const i = next++
        const res = await pool!.request({ method: 'GET', path: `/?k=${keys[i]!}` })
        answers[i] = await res.body.text()
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))

    const mismatches: string[] = []
    const onNew = SPLITS.map(() => 0)
    keys.forEach((key, i) => {
      const theirs = answers[i]!.split(' ')
      SPLITS.forEach((s, j) => {
        const ours = sluiceSide(s.name, s.bp, key)
        if (ours === 'new') onNew[j]!++
        if (theirs[j] !== ours) mismatches.push(`${s.name} ${s.percent} key=${JSON.stringify(key)}: nginx ${theirs[j]}, sluice ${ours}`)
      })
    })
    expect(mismatches).toEqual([])
    // Not vacuous: both sides are populated at both percents.
    expect(onNew[0]).toBeGreaterThan(KEYS * 0.04)
    expect(onNew[0]).toBeLessThan(KEYS * 0.11)
    expect(onNew[1]).toBeGreaterThan(KEYS * 0.44)
    expect(onNew[1]).toBeLessThan(KEYS * 0.56)
  })
})
