import { request } from 'undici'

/** Runs `fn` over `items` with at most `limit` in flight, keeping the order of the results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

/** The side the data plane serves for these request headers (the side backends answer {"backend": SIDE}). */
export async function proxiedSide(data: string, path: string, headers: Record<string, string>): Promise<'old' | 'new'> {
  const res = await request(`${data}${path}`, { headers })
  const body = await res.body.json() as { backend: 'old' | 'new' }
  return body.backend
}

/**
 * An OFREP call on the admin plane (a string body is sent as is), answered as status, headers and JSON
 * (null for an empty body).
 */
export async function ofrepCall(
  admin: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const res = await request(`${admin}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` }),
      ...opts.headers,
    },
    body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body ?? {}),
  })
  const text = await res.body.text()
  return { status: res.statusCode, headers: res.headers, json: text === '' ? null : JSON.parse(text) as Record<string, unknown> }
}
