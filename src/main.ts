#!/usr/bin/env node
import { run } from './cli/index.js'

// The only place that ends the process: every command returns its exit code.
run(process.argv.slice(2)).then(
  (code) => { process.exitCode = code },
  (err: unknown) => {
    process.stderr.write(`sluice: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  },
)
