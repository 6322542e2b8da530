#!/usr/bin/env node
// Runs the vitest suite and ends with one plain line "N passed, N failed, N skipped", so CI logs
// (and humans) get a count that does not depend on vitest's console format.
//
// In CI (CI=true or CI=1) a skipped test fails the run unless it is on ALLOWED_SKIPS below: a test
// that skips because a tool is missing proves nothing, and .ci/run installs every tool a test needs
// (nginx, promtool, redis-server). Outside CI skips are listed and allowed. Exit code: vitest's,
// or 1 when CI refused a skip.
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'

/**
 * Tests CI may skip: each entry matches a test's full name (describe titles + test title) and says
 * why skipping it is right. Keep this short; an entry is a hole in what CI proves.
 * @type {ReadonlyArray<{ readonly match: RegExp, readonly why: string }>}
 */
const ALLOWED_SKIPS = [
  // (none: every test that can skip does so only for a missing tool, and .ci/run installs them all)
]

const inCi = process.env.CI === 'true' || process.env.CI === '1'
const report = '.tmp/vitest-report.json'
mkdirSync('.tmp', { recursive: true })
rmSync(report, { force: true })
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)]
const child = spawn('npx', args, { stdio: 'inherit' })
child.on('exit', (code, signal) => {
  let refused = false
  try {
    const r = JSON.parse(readFileSync(report, 'utf8'))
    const skipped = skippedTests(r)
    refused = reportSkips(skipped)
    console.log(`\n${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped.length} skipped`)
  } catch {
    console.log('\nno test report was written')
  }
  process.exit(code || (signal ? 1 : 0) || (refused ? 1 : 0))
})

/** Full names of the tests vitest skipped (skipIf, skip, todo). */
function skippedTests(r) {
  const names = []
  for (const file of r.testResults ?? []) {
    for (const t of file.assertionResults ?? []) {
      if (t.status === 'skipped' || t.status === 'pending' || t.status === 'todo' || t.status === 'disabled') {
        names.push(t.fullName ?? [...(t.ancestorTitles ?? []), t.title].join(' '))
      }
    }
  }
  return names
}

/** Lists the skipped tests; in CI, says which are not allowed. True when CI must fail. */
function reportSkips(skipped) {
  if (skipped.length === 0) return false
  const refused = inCi ? skipped.filter((name) => !ALLOWED_SKIPS.some((a) => a.match.test(name))) : []
  console.log(`\nskipped tests:\n${skipped.map((n) => `  - ${n}${refused.includes(n) ? '   <- not allowed in CI' : ''}`).join('\n')}`)
  if (refused.length > 0) {
    console.log(`\nCI: ${refused.length} skipped test(s) are not on the allow-list in scripts/run-tests.mjs; install what they need (see .ci/run) or add them there with a reason`)
  }
  return refused.length > 0
}
