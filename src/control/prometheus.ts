import { request } from 'undici'
import type { PrometheusServer } from '../config/types.js'
import type { QueryAnswer } from '../core/metric-checks.js'

/**
 * Instant queries over the Prometheus HTTP API: `POST {url}/api/v1/query` with the form fields
 * `query` and `timeout` (POST keeps long PromQL out of URL length limits). The answer is
 * `{"status": "success", "data": {"resultType": "vector" | "scalar", "result": …}}`: a vector's
 * result is `[{"metric": {…}, "value": [time, "1.5"]}, …]`, a scalar's `[time, "1.5"]`; sample
 * values are strings and may be "NaN", "+Inf" or "-Inf". An error is `{"status": "error",
 * "errorType", "error"}` with a 4xx/5xx status. Never throws: every failure is a QueryAnswer
 * with the reason, for the log and the check's summary.
 */
export type InstantQuery = (server: PrometheusServer, query: string, timeoutMs: number) => Promise<QueryAnswer>

/** A query's answer is a handful of numbers; a runaway result (no aggregation over many series) is cut off. */
const MAX_BODY_BYTES = 1024 * 1024

export const instantQuery: InstantQuery = async (server, query, timeoutMs) => {
  const { url, headers } = endpoint(server.url)
  try {
    const res = await request(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'user-agent': 'sluice' },
      // Prometheus stops evaluating at its own timeout too, so an expensive query does not outlive us.
      // Plain (float) seconds: its duration syntax ("1500ms") refuses fractions like "1.5s".
      body: new URLSearchParams({ query, timeout: String(Math.max(1, timeoutMs) / 1000) }).toString(),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    })
    const text = await readCapped(res.body)
    if (text === undefined) return { ok: false, error: `answer larger than ${MAX_BODY_BYTES} bytes` }
    return parseQueryResponse(res.statusCode, text)
  } catch (err) {
    return { ok: false, error: `Prometheus unreachable (${reason(err, timeoutMs)})` }
  }
}

/** The HTTP status and body of a query → its values, or the reason there are none. */
export function parseQueryResponse(status: number, text: string): QueryAnswer {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { ok: false, error: `HTTP ${status}: not a Prometheus answer` }
  }
  const body = json as {
    status?: unknown; error?: unknown; errorType?: unknown; data?: { resultType?: unknown; result?: unknown }
  } | null
  if (body === null || typeof body !== 'object') return { ok: false, error: `HTTP ${status}: not a Prometheus answer` }
  if (body.status !== 'success') {
    const what = typeof body.error === 'string' ? clip(body.error) : 'no error message'
    return { ok: false, error: `query failed (HTTP ${status}${typeof body.errorType === 'string' ? `, ${body.errorType}` : ''}): ${what}` }
  }
  const result = body.data?.result
  switch (body.data?.resultType) {
    case 'vector':
      if (!Array.isArray(result)) break
      return {
        ok: true,
        values: result.map((r: { value?: unknown }) => sampleValue(Array.isArray(r?.value) ? r.value[1] : undefined)),
      }
    case 'scalar':
      if (!Array.isArray(result)) break
      return { ok: true, values: [sampleValue(result[1])] }
    case 'matrix':
      return { ok: false, error: 'the query gives a range vector: remove the trailing [range] or wrap it, e.g. in rate()' }
    case 'string':
      return { ok: false, error: 'the query gives a string, not a number' }
  }
  return { ok: false, error: 'malformed answer (no data.resultType/result)' }
}

/** Error texts go into logs, status and history: a parse error quoting a huge query is cut. */
function clip(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text
}

/** "1.5", "NaN", "+Inf", "-Inf" → a number; anything else NaN (then judged inconclusive). */
function sampleValue(v: unknown): number {
  if (v === '+Inf') return Number.POSITIVE_INFINITY
  if (v === '-Inf') return Number.NEGATIVE_INFINITY
  return typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN
}

/**
 * `${base}/api/v1/query`; credentials in the URL become a Basic Authorization header (undici refuses
 * them in the URL).
 */
function endpoint(base: string): { url: string; headers: Record<string, string> } {
  const u = new URL(`${base}/api/v1/query`)
  if (u.username === '' && u.password === '') return { url: u.toString(), headers: {} }
  const auth = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')
  u.username = ''
  u.password = ''
  return { url: u.toString(), headers: { authorization: `Basic ${auth}` } }
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) {
      body.destroy()
      return undefined
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** A short reason: the error code (ECONNREFUSED) or "timed out after N ms". */
function reason(err: unknown, timeoutMs: number): string {
  const e = err as { code?: unknown; name?: unknown; message?: unknown }
  if (e?.name === 'TimeoutError' || e?.code === 'UND_ERR_HEADERS_TIMEOUT' || e?.code === 'UND_ERR_BODY_TIMEOUT') return `timed out after ${timeoutMs} ms`
  const cause = (err as { cause?: { code?: unknown } })?.cause?.code
  if (typeof e?.code === 'string') return e.code
  if (typeof cause === 'string') return cause
  return typeof e?.message === 'string' ? e.message : String(err)
}
