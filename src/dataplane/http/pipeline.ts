import type { ProxyContext } from './context.js'

/** 'next' hands the request to the following pass; 'done' means this pass answered or forwarded it. */
export type PassResult = 'next' | 'done'

/**
 * One step of request handling. Synchronous on purpose: nothing on the request path waits for
 * anything but the upstream's I/O, which the forward pass starts and undici's callbacks finish.
 */
export type Pass = (ctx: ProxyContext) => PassResult

export function runPasses(ctx: ProxyContext, passes: readonly Pass[]): void {
  try {
    for (let i = 0; i < passes.length; i++) {
      if (passes[i]!(ctx) === 'done') return
    }
  } catch (err) {
    // A bug, never a client's or a backend's doing: cut this request off, keep the process serving.
    ctx.plane.logger.error({ err, route: ctx.route?.name }, 'request handling failed')
    ctx.res.destroy()
  }
}
