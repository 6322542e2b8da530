import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SluiceApp } from '../../src/app/index.js'
import { appConfig, startApp } from '../helpers/app.js'
import { call } from '../helpers/admin.js'
import { startSideBackend, type SideBackend } from '../helpers/side-backend.js'
import { startTraffic, type Load } from '../helpers/traffic.js'
import { waitFor } from '../helpers/wait-for.js'

/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core) against a live
 * sluice with traffic, a ramp and a rollback: the charts draw the real series, the levers work with
 * the token and are refused without, nothing is fetched from another origin, and the page still
 * shows the summary with JavaScript off and fits a phone.
 */
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const TOKEN = 'dash-token-7f3a'
const SHOTS = process.env.SLUICE_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'sluice-dashboard-shots-'))

const traffic = (base: string): Load => startTraffic(base, { paths: ['/checkout', '/checkout', '/orders'], users: 500, gapMs: 5 })

interface TargetJson { state: string; percent: number; step: number }
interface HistoryJson { events: Array<{ to: { state: string; percent: number }; from: { percent: number } }> }

describe('dashboard in a real browser', () => {
  let oldSide: SideBackend
  let newSide: SideBackend
  let app: SluiceApp
  let admin = ''
  let load: Load | undefined
  const dirs: string[] = []
  const contexts: BrowserContext[] = []

  const api = async <T>(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: object): Promise<T> => {
    const res = await call(admin, method, path, { token: TOKEN, ...(body === undefined ? {} : { body }) })
    return res.json as T
  }

  beforeAll(async () => {
    oldSide = await startSideBackend('old')
    newSide = await startSideBackend('new')
    const started = await startApp(appConfig(`routes:
  - name: checkout
    match: { pathPrefix: /checkout }
    old: ${oldSide.url}
    new: ${newSide.url}
    sticky: [header:x-user-id]
    groups: { beta: { backend: new, users: [alice] } }
    goals: [{ name: purchase, better: higher }]
    rollout:
      steps: [10, 30, 60, 100]
      interval: 1s
      analysis: { window: 1s, minRequests: 20, maxErrorRate: 0.05, maxP99Ms: 250 }
  - name: orders
    match: { pathPrefix: /orders }
    old: ${oldSide.url}
    new: ${newSide.url}
    sticky: [header:x-user-id]
    rollout: { steps: [5, 100], interval: 1h }
`, { token: TOKEN }), { seriesResolutionMs: 250 })
    app = started.app
    admin = started.admin
    load = traffic(started.data)
    // A ramp: wait for a step beyond the first, then make new fail so the analysis rolls it back.
    await waitFor(async () => (await api<TargetJson>('GET', '/api/routes/checkout')).step >= 1, { timeoutMs: 20_000, message: 'checkout to ramp past its first step' })
    newSide.failRate = 0.5
    await waitFor(async () => (await api<TargetJson>('GET', '/api/routes/checkout')).state === 'rolled_back', { timeoutMs: 20_000, message: 'checkout to roll back' })
    newSide.failRate = 0
  }, 60_000)

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined)
    await load?.stop()
    await app?.shutdown('test')
    await oldSide?.close()
    await newSide?.close()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  /** A fresh browser profile (its own --user-data-dir) per context, nothing shared between them. */
  const open = async (opts: Parameters<typeof chromium.launchPersistentContext>[1] = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-chromium-'))
    dirs.push(dir)
    const context = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      // The page itself is behind the token too: the browser's login prompt (Basic, token as password).
      httpCredentials: { username: 'ops', password: TOKEN },
      ...opts,
    })
    contexts.push(context)
    const foreign: string[] = []
    const errors: string[] = []
    // Anything not from the admin plane itself is refused and remembered: the page must need nothing else.
    await context.route('**/*', (route) => {
      const url = route.request().url()
      if (new URL(url).origin === admin) return route.continue()
      foreign.push(url)
      return route.abort()
    })
    const page = context.pages()[0] ?? await context.newPage()
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()) })
    page.on('pageerror', (e) => errors.push(e.message))
    return { context, page, foreign, errors }
  }

  const enterToken = async (page: Page, token: string) => {
    await page.fill('#token', token)
    await page.click('#token-form button[type=submit]')
  }

  /**
   * Browser-side code is passed as text (this project compiles without the DOM's types) and only to
   * page.evaluate: waitForFunction would need 'unsafe-eval', which the page's CSP rightly refuses.
   */
  const q = (s: string) => JSON.stringify(s)
  const card = (name: string) => `section.card[data-name="${name}"]`

  it('draws the real series with the rollback marked, and the levers work with the token only', async () => {
    const { page, foreign, errors } = await open({ viewport: { width: 1280, height: 1400 } })
    const res = await page.goto(`${admin}/`)
    expect(res?.status()).toBe(200)
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'")

    // Without the token: the API refuses, the page asks for it, the levers are off.
    await page.waitForSelector('#token-form')
    expect(await page.isDisabled(`${card('orders')} [data-lever=pause]`)).toBe(true)
    // Force the button anyway: the admin plane refuses the call, and the page says so.
    await page.evaluate(`(() => { const b = document.querySelector(${q(`${card('orders')} [data-lever=pause]`)}); b.disabled = false; b.click() })()`)
    await page.waitForSelector(`${card('orders')} .message.error`)
    expect(await page.textContent(`${card('orders')} .message`)).toMatch(/refused/)
    expect((await api<TargetJson>('GET', '/api/routes/orders')).state).toBe('progressing')
    const refusedErrors = errors.length
    expect(errors.every((e) => /401/.test(e))).toBe(true)

    // With the token: live charts from the series, the rollback drawn on the share chart.
    await enterToken(page, TOKEN)
    await page.waitForSelector('#forget-token')
    const share = `${card('checkout')} figure.chart-share`
    await waitFor(async () => Number(await page.getAttribute(share, 'data-points')) >= 5, { message: 'the share chart to have points' })
    expect(Number(await page.getAttribute(share, 'data-rollbacks'))).toBeGreaterThanOrEqual(1)
    for (const chart of ['share', 'errors', 'p99', 'rps', 'goal-purchase']) {
      expect(await page.locator(`${card('checkout')} figure.chart-${chart} canvas`).count()).toBe(1)
    }
    // The canvas really has ink on it (not a blank box).
    const inked = await page.evaluate<number>(`(() => {
      const c = document.querySelector(${q(`${card('checkout')} figure.chart-errors canvas`)})
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
      let n = 0
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++
      return n
    })()`)
    expect(inked).toBeGreaterThan(100)
    // The analysis limit is one of the error chart's series.
    expect(await page.textContent(`${card('checkout')} figure.chart-errors`)).toContain('limit 5 %')
    // Events in local and relative time.
    expect(await page.textContent(`${card('checkout')} table.events`)).toMatch(/ago\)/)
    expect(await page.locator(`${card('checkout')} table.events tr.rollback`).count()).toBeGreaterThanOrEqual(1)

    // Levers: pause orders; the page shows it.
    await page.click(`${card('orders')} [data-lever=pause]`)
    await waitFor(async () => await page.textContent(`${card('orders')} h2 .state`) === 'paused', { message: 'the page to show orders paused' })
    expect((await api<TargetJson>('GET', '/api/routes/orders')).state).toBe('paused')
    await page.click(`${card('orders')} [data-lever=resume]`)
    await waitFor(async () => await page.textContent(`${card('orders')} h2 .state`) === 'progressing', { message: 'the page to show orders progressing' })
    // Set a percent (a manual change) on checkout, and add a beta user.
    await page.fill(`${card('checkout')} input[name=percent]`, '7.5')
    await page.click(`${card('checkout')} [data-lever=set-percent]`)
    await waitFor(async () => (await api<TargetJson>('GET', '/api/routes/checkout')).percent === 7.5, { message: 'checkout at 7.5 %' })
    await page.fill(`${card('checkout')} input[name=user]`, 'bob')
    await page.click(`${card('checkout')} [data-lever=add-user]`)
    await waitFor(async () => (await api<{ groups: { beta: { users: string[] } } }>('GET', '/api/routes/checkout/groups')).groups.beta.users.includes('bob'), { message: 'bob in beta' })
    await page.click(`${card('checkout')} [data-lever=remove-user]`)
    await waitFor(async () => !(await api<{ groups: { beta: { users: string[] } } }>('GET', '/api/routes/checkout/groups')).groups.beta.users.includes('bob'), { message: 'bob out of beta' })

    await page.screenshot({ path: join(SHOTS, 'dashboard.png'), fullPage: true })
    // Nothing but the refused calls' 401s (a late one may land after the count above) in the console.
    expect(errors.slice(refusedErrors).filter((e) => !/status of 401/.test(e))).toEqual([])
    expect(foreign).toEqual([])
  })

  it('with JavaScript off the summary is still there (and re-read by a meta refresh)', async () => {
    const { page, foreign } = await open({ javaScriptEnabled: false })
    await page.goto(`${admin}/`)
    const text = await page.textContent(card('checkout'))
    expect(text).toContain('to new')
    expect(text).toMatch(/rolled back|manual/)
    expect(await page.locator('figure.chart').count()).toBe(0)
    expect(await page.locator('noscript').count()).toBeGreaterThan(0)
    expect(foreign).toEqual([])
  })

  it('fits a phone: charts render at the phone width without sideways scrolling', async () => {
    const { page, foreign, errors } = await open({
      viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
    })
    await page.goto(`${admin}/`)
    await page.waitForSelector('#token-form')
    const before = errors.length
    await enterToken(page, TOKEN)
    const share = `${card('checkout')} figure.chart-share`
    await waitFor(async () => Number(await page.getAttribute(share, 'data-points')) >= 5, { message: 'the share chart to have points' })
    const widths = await page.evaluate<{ doc: number; view: number }>('({ doc: document.documentElement.scrollWidth, view: window.innerWidth })')
    expect(widths.doc).toBeLessThanOrEqual(widths.view)
    await page.screenshot({ path: join(SHOTS, 'dashboard-phone.png'), fullPage: false })
    expect(errors.slice(before)).toEqual([])
    expect(foreign).toEqual([])
  })

  it('GET …/series answers the contract shape with real figures', async () => {
    const s = await api<{ resolution: string; scope: string; limits: Record<string, number>; points: Array<Record<string, unknown>> }>('GET', '/api/routes/checkout/series?minutes=60')
    expect(s.scope).toBe('replica')
    expect(s.limits).toEqual({ errorRate: 0.05, p99Ms: 250 })
    expect(s.points.length).toBeGreaterThan(3)
    const busy = s.points.find((p) => (p.old as { rps: number }).rps > 0)
    expect(busy).toMatchObject({
      percent: expect.any(Number),
      state: expect.any(String),
      old: { rps: expect.any(Number), errorRate: expect.any(Number), p99Ms: expect.any(Number) },
      shadowMismatchRate: null,
    })
    const history = await api<HistoryJson>('GET', '/api/routes/checkout/history')
    expect(history.events.some((e) => e.to.state === 'rolled_back')).toBe(true)
    expect((await call(admin, 'GET', '/api/routes/checkout/series')).status).toBe(401)
    expect((await call(admin, 'GET', '/api/routes/nope/series', { token: TOKEN })).status).toBe(404)
    expect((await call(admin, 'GET', '/api/queues/nope/series', { token: TOKEN })).status).toBe(404)
    expect((await call(admin, 'GET', '/api/routes/checkout/series?minutes=x', { token: TOKEN })).status).toBe(400)
    const queue = await call(admin, 'GET', '/api/queues/nope/series', { token: TOKEN })
    expect(queue.json).toMatchObject({ error: { code: 'not_found' } })
    // The page's files pass the browser guard like every other path: a rebound name gets nothing.
    expect((await call(admin, 'GET', '/ui/dashboard.js', { headers: { host: 'evil.example' } })).status).toBe(403)
    const js = await call(admin, 'GET', '/ui/dashboard.js')
    expect(js.status).toBe(200)
    expect(js.headers['content-type']).toMatch(/^text\/javascript/)
    expect(js.headers['x-content-type-options']).toBe('nosniff')
  })
})
