import type { IncomingMessage } from 'node:http'
import type { BodyTap } from '../shadow/taps.js'

const DONE: IteratorResult<Buffer> = Object.freeze({ done: true, value: undefined })
const CLIENT_ABORTED = new Error('the client aborted the request body')

/**
 * The client's request body as undici reads it: an async iterator over `req` that starts reading
 * only when undici starts sending, and that undici can never destroy.
 *
 * Why not `req` itself: when the connect fails, undici destroys a stream body without reading it, so
 * the request could not be re-sent to old; `started` says whether any
 * byte may have left, which is the "no body byte sent yet" condition of the fallback. And when an
 * upstream attempt fails mid-upload, the rest of the body must be read and dropped (`release`), so
 * the client, still sending, gets sluice's 502/504 instead of a write error on a closed socket.
 * Flow control: `req` is paused whenever a chunk waits for undici.
 * A shadow call's `tap` sees every chunk as it arrives (README "Shadow traffic"), never holding it up.
 */
export class LazyBody implements AsyncIterable<Buffer>, AsyncIterator<Buffer> {
  started = false
  #released = false
  #ended = false
  #failed = false
  #queue: Buffer[] = []
  #resolve: ((r: IteratorResult<Buffer>) => void) | undefined
  #reject: ((err: Error) => void) | undefined

  constructor(private readonly req: IncomingMessage, private readonly tap?: BodyTap) {}

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    if (this.started) return this
    this.started = true
    const req = this.req
    req.on('data', this.#onData)
    req.on('end', this.#onEnd)
    req.on('close', this.#onClose)
    return this
  }

  next(): Promise<IteratorResult<Buffer>> {
    const chunk = this.#queue.shift()
    if (chunk !== undefined) {
      if (this.#queue.length === 0) this.req.resume()
      return Promise.resolve({ done: false, value: chunk })
    }
    if (this.#ended || this.#released) return Promise.resolve(DONE)
    if (this.#failed) return Promise.reject(CLIENT_ABORTED)
    return new Promise((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
      this.req.resume()
    })
  }

  /** undici stopped reading (an upstream failure): whatever the client still sends is dropped. */
  return(): Promise<IteratorResult<Buffer>> {
    this.release()
    return Promise.resolve(DONE)
  }

  /** Reads the rest of the body and drops it, so the client can finish sending and read the answer. */
  release(): void {
    if (this.#released) return
    this.#released = true
    this.#queue = []
    this.#settle(DONE)
    this.req.resume()
  }

  readonly #onData = (chunk: Buffer): void => {
    this.tap?.bodyData(chunk)
    if (this.#released) return
    if (this.#resolve !== undefined) return this.#settle({ done: false, value: chunk })
    this.#queue.push(chunk)
    this.req.pause()
  }

  readonly #onEnd = (): void => {
    this.tap?.bodyEnd()
    this.#ended = true
    this.#settle(DONE)
  }

  /** 'close' before 'end': the client went away mid-body. */
  readonly #onClose = (): void => {
    if (this.#ended) return
    this.tap?.bodyAbort()
    if (this.#released) return
    this.#failed = true
    const reject = this.#reject
    this.#resolve = this.#reject = undefined
    reject?.(CLIENT_ABORTED)
  }

  #settle(r: IteratorResult<Buffer>): void {
    const resolve = this.#resolve
    this.#resolve = this.#reject = undefined
    resolve?.(r)
  }
}
