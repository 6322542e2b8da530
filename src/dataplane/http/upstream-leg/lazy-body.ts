import type { IncomingMessage } from 'node:http'

/**
 * The client's request body, handed to undici so that nothing is read until undici starts sending.
 *
 * Why: when the connect fails, undici destroys a stream body without reading it, so the request
 * could not be re-sent to old (NOTES-proxies finding 4, §5.18). Behind this wrapper the
 * IncomingMessage stays untouched until the upstream connection exists; `started` then says whether
 * any byte may have left, which is the "no body byte sent yet" condition of the fallback.
 * Costs an async iterator per chunk, so it is used only on requests sent to new.
 */
export class LazyBody implements AsyncIterable<Buffer> {
  started = false

  constructor(private readonly req: IncomingMessage) {}

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    this.started = true
    return this.req[Symbol.asyncIterator]()
  }
}
