import type { Dispatcher } from 'undici'
import { compareAnswers, describeBytes, type Comparison } from '../../../core/shadow-compare.js'
import type { ShadowResult } from '../../../observe/shadow.js'
import { applyHostRule } from '../passes/forward-headers.js'
import { mapUpstreamError } from '../upstream-leg/error-map.js'
import type { HttpLegState } from '../upstream-leg/state.js'
import type { CompiledShadow } from './compile.js'
import type { OldAnswerTap } from './taps.js'

/** Why sluice stopped a shadow call itself; shared, it carries no per-request data. */
const ABANDONED = new Error('shadow call abandoned: nothing left to compare')
const TOO_BIG = new Error("shadow call stopped: new's body is over maxBodyBytes")

/** A body kept for comparison, up to a limit; past it the bytes are dropped and `over` says so. */
class Capture {
  #chunks: Buffer[] = []
  bytes = 0
  over = false

  constructor(private readonly max: number) {}

  /** False once over the limit. */
  add(chunk: Buffer): boolean {
    if (this.over) return false
    this.bytes += chunk.length
    if (this.bytes > this.max) {
      this.over = true
      this.#chunks = []
      return false
    }
    this.#chunks.push(chunk)
    return true
  }

  take(): Buffer {
    const chunks = this.#chunks
    this.#chunks = []
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
  }
}

type OldState = 'relaying' | 'done' | 'gone'
type NewState = 'waiting' | 'sent' | 'answered' | 'failed'

/**
 * One shadow call (README "Shadow traffic"): the client's request teed on its way to old, sent to
 * new (with `x-sluice-shadow: 1`) once its body is complete, new's answer read up to maxBodyBytes,
 * old's answer teed as it is relayed, the two compared when both ended, and the result counted.
 *
 * It never touches the client's request or response: the taps only copy references to chunks the
 * upstream leg relays anyway, and every undici callback of the call to new is its own. A failure
 * of new is a result ('error'), not an error of the request. Its in-flight slot (maxConcurrent) is
 * held from the start until the result is counted.
 */
export class ShadowLeg implements OldAnswerTap, Dispatcher.DispatchHandler {
  readonly #shadow: CompiledShadow
  readonly #method: string
  readonly #url: string
  readonly #headers: string[]
  readonly #request: Capture
  readonly #old: Capture
  readonly #new: Capture
  #oldState: OldState = 'relaying'
  #oldStatus = 0
  #oldHeaders: Record<string, string | string[] | undefined> = {}
  #newState: NewState = 'waiting'
  #newStatus = 0
  #newHeaders: Record<string, string | string[] | undefined> = {}
  #newFailure: string | undefined
  #controller: Dispatcher.DispatchController | undefined
  #sentAt = 0
  #finished = false

  constructor(ctx: HttpLegState, shadow: CompiledShadow) {
    this.#shadow = shadow
    this.#method = ctx.req.method ?? 'GET'
    this.#url = ctx.url
    // A copy, with new's Host rule: old's attempt may rewrite the Host of the original list.
    const headers = [...(ctx.upstreamHeaders ?? []), 'x-sluice-shadow', '1']
    applyHostRule(headers, shadow.backend.host, ctx.req.headers.host)
    this.#headers = headers
    this.#request = new Capture(shadow.maxBodyBytes)
    this.#old = new Capture(shadow.maxBodyBytes)
    this.#new = new Capture(shadow.maxBodyBytes)
    shadow.stats.inflight++
  }

  /** Old's attempt has been dispatched: a request without a body goes to new at once. */
  started(hasBody: boolean): void {
    if (!hasBody) this.#send(null)
  }

  bodyData(chunk: Buffer): void {
    if (this.#newState !== 'waiting' || this.#finished) return
    if (!this.#request.add(chunk)) this.#finish('skipped')
  }

  bodyEnd(): void {
    if (this.#newState === 'waiting' && !this.#finished) this.#send(this.#request.take())
  }

  bodyAbort(): void {
    this.#abandon()
  }

  oldHead(status: number, headers: Record<string, string | string[] | undefined>): void {
    this.#oldStatus = status
    this.#oldHeaders = headers
  }

  oldData(chunk: Buffer): void {
    this.#old.add(chunk)
  }

  oldEnd(): void {
    if (this.#oldState !== 'relaying') return
    this.#oldState = 'done'
    this.#settle()
  }

  oldClosed(): void {
    if (this.#oldState !== 'relaying') return
    this.#oldState = 'gone'
    this.#abandon()
  }

  #send(body: Buffer | null): void {
    this.#newState = 'sent'
    this.#sentAt = performance.now()
    const shadow = this.#shadow
    const options: Dispatcher.DispatchOptions & { servername: string | undefined } = {
      method: this.#method,
      path: this.#url,
      headers: this.#headers,
      body,
      headersTimeout: shadow.headersTimeout,
      bodyTimeout: shadow.bodyTimeout,
      servername: shadow.backend.servername,
    }
    try {
      shadow.backend.dispatcher.dispatch(options, this)
    } catch (err) {
      this.onResponseError(undefined, err as Error)
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller
    if (this.#finished) controller.abort(ABANDONED)
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>,
  ): void {
    if (status < 200) return
    this.#newStatus = status
    this.#newHeaders = headers
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#new.add(chunk)) return
    // Read up to maxBodyBytes, no further: what new sent so far already differs from a body old kept.
    this.#newState = 'answered'
    controller.abort(TOO_BIG)
    this.#settle()
  }

  onResponseEnd(): void {
    if (this.#newState !== 'sent') return
    this.#newState = 'answered'
    this.#settle()
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.#newState !== 'sent' || this.#finished) return
    this.#newState = 'failed'
    this.#newFailure = mapUpstreamError(err).reason
    this.#settle()
  }

  /** Nothing to compare any more (old unfinished, the request body over the limit): stop new, count a skip. */
  #abandon(): void {
    if (this.#finished) return
    this.#controller?.abort(ABANDONED)
    this.#finish('skipped')
  }

  /** Both answers are in: compare after the current I/O callback, never inside old's relay. */
  #settle(): void {
    if (this.#finished || this.#oldState !== 'done') return
    if (this.#newState === 'answered' || this.#newState === 'failed') setImmediate(judge, this)
  }

  /** Called once both sides settled. */
  judge(): void {
    if (this.#finished) return
    const oldStatus = this.#oldStatus
    if (this.#newState === 'failed') {
      return this.#finish('error', { old: oldStatus, new: 0, diff: [`new failed: ${this.#newFailure ?? 'error'}`] })
    }
    // Old's body was too big to keep: nothing to compare it with.
    if (this.#old.over) return this.#finish('skipped')
    let comparison: Comparison
    try {
      comparison = this.#compare()
    } catch {
      // A body that defeats the comparison (JSON nested deeper than the stack): nothing to say about it.
      return this.#finish('skipped')
    }
    this.#finish(comparison.match ? 'match' : 'mismatch', comparison.match ? undefined : { old: oldStatus, new: this.#newStatus, diff: comparison.diff })
  }

  #compare(): Comparison {
    const old = { status: this.#oldStatus, headers: this.#oldHeaders, body: this.#old.take() }
    if (this.#new.over) {
      const newHead = { status: this.#newStatus, headers: this.#newHeaders, body: old.body }
      const head = compareAnswers(old, newHead, this.#shadow.rules)
      return { match: false, diff: [...head.diff, `body: ${describeBytes(old.body)} → over ${this.#shadow.maxBodyBytes} bytes`] }
    }
    const answer = { status: this.#newStatus, headers: this.#newHeaders, body: this.#new.take() }
    return compareAnswers(old, answer, this.#shadow.rules)
  }

  #finish(result: ShadowResult, sample?: { old: number; new: number; diff: readonly string[] }): void {
    if (this.#finished) return
    this.#finished = true
    const stats = this.#shadow.stats
    stats.inflight--
    stats.record(result, this.#newState === 'waiting' ? undefined : performance.now() - this.#sentAt)
    if (sample !== undefined) {
      stats.sample({
        method: this.#method,
        path: pathWithoutValues(this.#url),
        old: { status: sample.old },
        new: { status: sample.new },
        diff: sample.diff,
      })
    }
  }
}

function judge(leg: ShadowLeg): void {
  leg.judge()
}

/** `/search?q=secret&page=2` → `/search?q&page`: query names tell where, values may be secrets. */
export function pathWithoutValues(url: string): string {
  const q = url.indexOf('?')
  if (q < 0) return url
  const names = url.slice(q + 1).split('&').filter((p) => p !== '').map((p) => {
    const eq = p.indexOf('=')
    return eq < 0 ? p : p.slice(0, eq)
  })
  return names.length === 0 ? url.slice(0, q) : `${url.slice(0, q)}?${names.join('&')}`
}
