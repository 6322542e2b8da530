import type { IncomingMessage } from 'node:http'
import { SluiceError } from '../util/errors.js'

/** The API takes small JSON documents; anything bigger is a mistake or an attack. */
export const MAX_BODY_BYTES = 64 * 1024

/**
 * Reads the whole body, refusing more than `limit` bytes (by content-length up front, or while
 * reading). On refusal the rest is drained and discarded, not destroyed, so the 413 still reaches
 * the client; the server then closes the connection.
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  const tooLarge = () => new SluiceError('SLUICE_ERR_BODY_TOO_LARGE', `the request body is larger than ${limit} bytes`)
  if (Number(req.headers['content-length'] ?? 0) > limit) {
    req.resume()
    return Promise.reject(tooLarge())
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) return void chunks.push(chunk)
      cleanup()
      req.resume()
      reject(tooLarge())
    }
    const onEnd = () => { cleanup(); resolve(Buffer.concat(chunks).toString('utf8')) }
    const onError = (err: Error) => { cleanup(); reject(err) }
    const cleanup = () => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
  })
}

/** The body as a JSON object, or SLUICE_ERR_BAD_REQUEST saying what is wrong. */
export async function readJsonObject(req: IncomingMessage, example: string): Promise<Record<string, unknown>> {
  const text = await readBody(req)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new SluiceError('SLUICE_ERR_BAD_REQUEST', `the body is not valid JSON (${(err as Error).message}); send for example ${example}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SluiceError('SLUICE_ERR_BAD_REQUEST', `the body must be a JSON object, for example ${example}`)
  }
  return value as Record<string, unknown>
}
