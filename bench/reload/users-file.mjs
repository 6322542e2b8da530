#!/usr/bin/env node
// Reload benchmark: how long the event loop is blocked while a running sluice reloads a config
// whose group has a usersFile of LINES ids (default 1,000,000, ~26 MB). The promise: no block over
// 50 ms, whether nothing changed (the 30 s safety-net re-read: one hash and one stat, nothing
// parsed) or the users file was rewritten (streamed, and the group's member map built in slices).
//
// Run from the repository root after `npm run build`:  node bench/reload/users-file.mjs
// Knobs (env): LINES (1000000), ROUNDS (3; every figure is the worst round), LIMIT_MS (50).
// Exit code 1 when a reload blocks longer than LIMIT_MS. Uses only node and the built dist/.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { maxBlockDuring, startAppFromFile } from '../macro/lib.mjs'

const LINES = Number(process.env.LINES ?? 1_000_000)
const ROUNDS = Number(process.env.ROUNDS ?? 3)
const LIMIT_MS = Number(process.env.LIMIT_MS ?? 50)

const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-reload-'))
const configPath = join(dir, 'sluice.yaml')
const usersPath = join(dir, 'beta.txt')

/**
 * Written by a child process, as in production (an export job, a ConfigMap): the garbage of
 * generating a million strings must not land in the heap whose pauses are being measured.
 */
function writeUsers(round) {
  const script = `const ids = new Array(${LINES}); for (let i = 0; i < ${LINES}; i++) ids[i] = 'user-${round}-' + i + '@example.com';
    require('node:fs').writeFileSync(${JSON.stringify(usersPath)}, ids.join('\\n') + '\\n')`
  const r = spawnSync(process.execPath, ['-e', script], { stdio: 'inherit' })
  if (r.status !== 0) throw new Error('writing the users file failed')
}

writeFileSync(configPath, `listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
routes:
  - name: app
    old: http://127.0.0.1:9
    new: http://127.0.0.1:9
    sticky: [header:x-user-id]
    groups:
      beta: { backend: new, users: [alice], usersFile: beta.txt }
`)
writeUsers(0)

const app = await startAppFromFile(configPath)

// The machine's own noise: the longest block of an idle second, same process, same heap.
const idle = await maxBlockDuring(() => new Promise((r) => setTimeout(r, 1000)))
const rows = []
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const unchanged = await maxBlockDuring(() => app.reload('poll'))
    writeUsers(round)
    const changed = await maxBlockDuring(() => app.reload('SIGHUP'))
    const members = app.config.routes[0].groups[0].users.length
    if (!unchanged.result || !changed.result || members !== LINES + 1) throw new Error(`round ${round}: reload failed (${members} members)`)
    rows.push({ round, unchanged, changed })
  }
} finally {
  await app.shutdown('bench')
  rmSync(dir, { recursive: true, force: true })
}

const worst = (key) => Math.max(...rows.map((r) => r[key].blockMs))
console.log(`reload with a usersFile of ${LINES.toLocaleString('en')} lines; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
console.log(`idle floor (1 s, nothing to do): ${idle.blockMs.toFixed(1)} ms`)
console.log('round  unchanged: block / elapsed      changed: block / elapsed')
for (const r of rows) {
  console.log(`${String(r.round).padStart(5)}  ${r.unchanged.blockMs.toFixed(1).padStart(8)} ms / ${r.unchanged.elapsedMs.toFixed(0).padStart(6)} ms   ${r.changed.blockMs.toFixed(1).padStart(8)} ms / ${r.changed.elapsedMs.toFixed(0).padStart(6)} ms`)
}
const max = Math.max(worst('unchanged'), worst('changed'))
console.log(`longest block: ${max.toFixed(1)} ms (limit ${LIMIT_MS} ms): ${max <= LIMIT_MS ? 'ok' : 'OVER'}`)
process.exitCode = max <= LIMIT_MS ? 0 : 1
