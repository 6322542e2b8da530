import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { Reply } from '../reply.js'
import type { Router } from '../router.js'

/**
 * The dashboard's script, style sheet and chart library, served by the admin plane itself: it must
 * work with no internet, and a Content-Security-Policy of 'self' forbids any other origin anyway.
 * A fixed list of files (no path from the request ever reaches the file system), read once on
 * first use. uPlot comes from node_modules (an npm dependency, never a CDN).
 */
const require = createRequire(import.meta.url)
const JS = 'text/javascript; charset=utf-8'
const CSS = 'text/css; charset=utf-8'

const ASSETS: ReadonlyArray<{ readonly path: string; readonly file: () => string; readonly type: string }> = [
  { path: '/ui/dashboard.js', file: () => own('dashboard.js'), type: JS },
  { path: '/ui/dashboard.css', file: () => own('dashboard.css'), type: CSS },
  { path: '/ui/uplot.js', file: () => require.resolve('uplot/dist/uPlot.iife.min.js'), type: JS },
  { path: '/ui/uplot.css', file: () => require.resolve('uplot/dist/uPlot.min.css'), type: CSS },
]

/** src/admin/ui (under vitest) or dist/admin/ui (the build copies it there). */
function own(name: string): string {
  return fileURLToPath(new URL(`../ui/${name}`, import.meta.url))
}

export function assetRoutes(router: Router): void {
  for (const asset of ASSETS) {
    let reply: Reply | undefined
    router.add('GET', asset.path, () => {
      reply ??= {
        status: 200,
        body: readFileSync(asset.file(), 'utf8'),
        headers: { 'content-type': asset.type, 'x-content-type-options': 'nosniff' },
      }
      return reply
    })
  }
}
