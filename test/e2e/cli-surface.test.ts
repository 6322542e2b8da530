import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { run } from '../../src/cli/index.js'
import type { Io } from '../../src/cli/io.js'
import { COMMANDS } from '../../src/cli/specs.js'
import { CLI, runCli, SluiceProcess, testConfig } from '../helpers/sluice-process.js'
import { startSideBackend, type SideBackend } from '../helpers/side-backend.js'
import { waitFor } from '../helpers/wait-for.js'

/** Runs a command in-process, capturing what it prints. */
function captured(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = []
  const stderr: string[] = []
  return { stdout, stderr, out: (t) => { stdout.push(t) }, err: (t) => { stderr.push(t) } }
}

describe('per-command help and options', () => {
  it('`sluice CMD --help` prints that command\'s usage, only its options, and an example', async () => {
    // The built binary, every command at once (each is a short process).
    const results = await Promise.all(Object.keys(COMMANDS).map((name) => runCli([name, '--help'])))
    for (const [i, [name, spec]] of Object.entries(COMMANDS).entries()) {
      expect(results[i]!.code, name).toBe(0)
      const text = results[i]!.stdout
      expect(text, name).toContain(`usage: sluice ${name}`)
      expect(text, name).toContain(`example:\n  ${spec.example}`)
      for (const o of spec.options) expect(text, `${name} --${o}`).toContain(`--${o}`)
    }
    const percent = await runCli(['set-percent', '--help'])
    expect(percent.stdout).toContain('--reason TEXT')
    expect(percent.stdout).not.toContain('--config')
    expect((await runCli(['help', 'wait'])).stdout).toContain('--timeout DURATION')
  })

  it('an option the command does not take is an error naming it', async () => {
    const r = await runCli(['status', '--replicas', '3'])
    expect(r.code).toBe(1)
    expect(r.stderr.trim()).toBe("sluice status: unknown option '--replicas' (sluice status --help lists its options)")
    const v = await runCli(['validate', '--config'])
    expect(v.code).toBe(1)
    expect(v.stderr).toContain('needs a value')
  })

  it('validate -o json: one document, valid or with every problem located', async () => {
    const ok = await runCli(['validate', '--config', 'examples/sluice.yaml', '-o', 'json'])
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout)).toEqual({ file: 'examples/sluice.yaml', valid: true, routes: 2, queues: 1, problems: [] })
    const bad = await runCli(['validate', '--config', 'test/fixtures/configs/invalid/bad-duration.yaml', '-o', 'json'])
    expect(bad.code).toBe(1)
    const doc = JSON.parse(bad.stdout) as {
      valid: boolean; problems: Array<{ line: number; column: number; path: string; message: string }>
    }
    expect(doc.valid).toBe(false)
    expect(doc.problems[0]).toEqual({ line: 6, column: 16, path: 'routes.0.timeouts.connect', message: expect.stringContaining("'5 sec' is not a duration") })
  })

  it('healthcheck -o json says what it found', async () => {
    const r = await runCli(['healthcheck', '--admin', 'http://127.0.0.1:1', '-o', 'json'])
    expect(r.code).toBe(2)
    expect(JSON.parse(r.stdout)).toMatchObject({ url: 'http://127.0.0.1:1/healthz', healthy: false, status: null })
  })
})

describe('status NAME, --watch, -o json against a running sluice', () => {
  let sluice: SluiceProcess
  let backends: SideBackend[]

  beforeAll(async () => {
    backends = [await startSideBackend('old'), await startSideBackend('new')]
    sluice = await new SluiceProcess(testConfig(`  - name: checkout
    old: ${backends[0]!.url}
    new: ${backends[1]!.url}
    percent: 5
    groups: { beta: { backend: new, users: [] } }
    rollout: { steps: [5, 100], interval: 1h, analysis: { window: 1m, maxErrorRate: 0.05 } }
  - name: search
    old: ${backends[0]!.url}
    new: ${backends[1]!.url}
`)).start()
  })
  afterAll(async () => {
    await sluice.stop()
    await Promise.all(backends.map((b) => b.close()))
  })

  it('status NAME shows that target with its analysis; -o json its API shape; an unknown name exits 1', async () => {
    // The controller's first tick takes the rollout to its first step.
    await waitFor(async () => ((await (await fetch(`${sluice.admin}/api/routes/checkout`)).json()) as { step: number }).step === 0)
    const r = await runCli(['status', 'checkout', '--admin', sluice.admin])
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split('\n')
    // Header and one row; no analysis section before the first window closed (no evidence yet).
    expect(lines).toHaveLength(2)
    expect(lines[1]).toMatch(/^checkout\s+route\s+5%\s+progressing\s+1\/2/)
    const json = await runCli(['status', 'checkout', '-o', 'json', '--admin', sluice.admin])
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'checkout', kind: 'route', percent: 5, state: 'progressing' })
    const missing = await runCli(['status', 'nope', '--admin', sluice.admin])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain("no route or queue named 'nope'")
  })

  it('status --watch redraws until stopped (in-process: the stop is injected)', async () => {
    const io = captured()
    let stop!: () => void
    const stopped = new Promise<void>((r) => { stop = r })
    const done = run(['status', '--watch', '--admin', sluice.admin], io, process.env, stopped)
    // A change made while watching shows up in a later frame.
    await waitFor(() => io.stdout.length >= 1)
    await runCli(['set-percent', 'search', '7', '--admin', sluice.admin])
    await waitFor(() => io.stdout.some((f) => /search\s+route\s+7%/.test(f)), { timeoutMs: 10_000 })
    stop()
    expect(io.stdout.every((f) => f.startsWith('--- '))).toBe(true)
    expect(io.stdout.length).toBeGreaterThanOrEqual(2)
    expect(await done).toBe(0)
  })

  it('status --watch of the built binary ends cleanly on Ctrl-C (SIGINT), exit 0', async () => {
    const child = spawn(process.execPath, [CLI, 'status', '--watch', '--admin', sluice.admin], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    await waitFor(() => (out.match(/^--- /gm) ?? []).length >= 2, { timeoutMs: 10_000 })
    const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    child.kill('SIGINT')
    expect(await exit).toBe(0)
    expect(out).toMatch(/checkout\s+route/)
  })

  it('users add -o json and wait -o json print one document', async () => {
    const add = await runCli(['users', 'add', 'checkout', 'beta', 'ann', 'bob', '-o', 'json', '--admin', sluice.admin])
    expect(add.code).toBe(0)
    expect(JSON.parse(add.stdout)).toEqual({ route: 'checkout', group: 'beta', added: ['ann', 'bob'], members: 2 })
    await runCli(['promote', 'checkout', '--admin', sluice.admin])
    const wait = await runCli(['wait', 'checkout', '-o', 'json', '--admin', sluice.admin, '--timeout', '10s'])
    expect(wait.code).toBe(0)
    expect(JSON.parse(wait.stdout)).toMatchObject({ name: 'checkout', state: 'completed', percent: 100 })
  })
})

describe('sluice completion', () => {
  it('bash: completes commands, a command\'s own options, verbs and output formats', async () => {
    const script = (await runCli(['completion', 'bash'])).stdout
    const complete = (words: string[]) => execFileSync('bash', ['-c', `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _sluice; echo "\${COMPREPLY[*]}"`], { encoding: 'utf8' }).trim()
    expect(complete(['sluice', 'sta'])).toBe('start status')
    expect(complete(['sluice', 'status', '--'])).toBe('--admin --token --cacert --output --watch --help')
    expect(complete(['sluice', 'users', ''])).toBe('add remove list')
    expect(complete(['sluice', 'history', '-o', ''])).toBe('table json')
    expect(complete(['sluice', 'set-percent', 'checkout', '--re'])).toBe('--reason')
  })

  it('zsh and fish: the scripts load in the real shells and know every command', async () => {
    const zsh = (await runCli(['completion', 'zsh'])).stdout
    const fish = (await runCli(['completion', 'fish'])).stdout
    for (const name of Object.keys(COMMANDS)) {
      expect(zsh).toContain(name)
      expect(fish).toContain(`-a ${name} `)
    }
    expect(existsSync('/usr/bin/zsh') && existsSync('/usr/bin/fish'), 'zsh and fish (Debian packages zsh, fish; .ci/run installs them)').toBe(true)
    // zsh: the script defines the function and registers it; fish: the completions answer.
    expect(execFileSync('zsh', ['-fc', `${zsh}\nprint -r -- \${+functions[_sluice]}`], { encoding: 'utf8' }).trim().split('\n').at(-1)).toBe('1')
    const fishOut = execFileSync('fish', ['--no-config', '-c', `${fish}\ncomplete -C 'sluice status --w'`], { encoding: 'utf8' })
    expect(fishOut).toMatch(/^--watch\t/m)
  })
})
