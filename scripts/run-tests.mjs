#!/usr/bin/env node
// Runs the vitest suite and ends with one plain line "N passed, N failed, N skipped", so CI logs
// (and humans) get a count that does not depend on vitest's console format. Exit code is vitest's.
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'

const report = '.tmp/vitest-report.json'
mkdirSync('.tmp', { recursive: true })
rmSync(report, { force: true })
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)]
const child = spawn('npx', args, { stdio: 'inherit' })
child.on('exit', (code, signal) => {
  try {
    const r = JSON.parse(readFileSync(report, 'utf8'))
    const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
    console.log(`\n${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`)
  } catch {
    console.log('\nno test report was written')
  }
  process.exit(code ?? (signal ? 1 : 0))
})
