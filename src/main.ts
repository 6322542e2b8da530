#!/usr/bin/env node
import { run } from './cli/index.js'

// The only place that ends the process: every command returns its exit code. A non-zero code ends
// the process at once: after a failed start or a forced stop nothing may keep it alive (a socket,
// a timer of a half-built app). Writes to stdout/stderr are synchronous on Linux, so nothing is lost.
run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
    if (code !== 0) process.exit(code)
  },
  (err: unknown) => {
    process.stderr.write(`sluice: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  },
)
