import type { ProxyContext } from './context.js'

/** 'next' hands the request to the following pass; 'done' means this pass answered or forwarded it. */
export type PassResult = 'next' | 'done'

/**
 * One step of request handling. Synchronous on purpose: nothing on the request path waits for
 * anything but the upstream's I/O, which the forward pass starts and undici's callbacks finish.
 * A pass written for every ProxyContext serves plain requests and WebSocket handshakes alike;
 * `C` narrows it to one kind (the /_sluice/ endpoints answer plain requests only).
 */
export type Pass<C extends ProxyContext = ProxyContext> = (ctx: C) => PassResult

export function runPasses<C extends ProxyContext>(ctx: C, passes: readonly Pass<C>[]): void {
  try {
    for (let i = 0; i < passes.length; i++) {
      if (passes[i]!(ctx) === 'done') return
    }
  } catch (err) {
    // A bug, never a client's or a backend's doing: cut this request off, keep the process serving.
    ctx.plane.logger.error({ err, route: ctx.route?.name }, 'request handling failed')
    ctx.cutOff()
  }
}
