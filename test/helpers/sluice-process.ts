import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'

/** The built CLI; `npm test` builds dist/ first (pretest). */
export const CLI = resolve(import.meta.dirname, '../../dist/main.js')

export interface CliResult { code: number | null; stdout: string; stderr: string }

/** Run a CLI command to completion. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`sluice ${args.join(' ')} timed out\n${stdout}\n${stderr}`)) }, timeoutMs)
    child.on('exit', (code) => { clearTimeout(timer); resolvePromise({ code, stdout, stderr }) })
  })
}

export interface LogLine { level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'; msg: string; [k: string]: unknown }

/** A `sluice start` child process with its config in a temp dir and its JSON log lines parsed. */
export class SluiceProcess {
  readonly logs: LogLine[] = []
  readonly dir: string
  readonly configPath: string
  data = ''
  admin = ''
  #child: ChildProcess | undefined
  #exit: Promise<number | null> | undefined
  #waiters: Array<{ match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = []

  readonly #cli: string
  readonly #cwd: string | undefined

  /**
   * `dir`: reuse a directory (a restart that must find the same state file); default a fresh temp dir.
   * `install`: run another installation of sluice (its `dist/main.js`, from its own directory).
   */
  constructor(configYaml: string, dir?: string, install?: { cli: string; cwd: string }) {
    this.#cli = install?.cli ?? CLI
    this.#cwd = install?.cwd
    this.dir = dir ?? mkdtempSync(join(tmpdir(), 'sluice-e2e-'))
    this.configPath = join(this.dir, 'sluice.yaml')
    writeFileSync(this.configPath, configYaml)
  }

  writeConfig(yaml: string): void {
    writeFileSync(this.configPath, yaml)
  }

  /** `nodeArgs`: options for node itself, before the script (e.g. `--import` of a test preload). */
  async start(env: NodeJS.ProcessEnv = {}, nodeArgs: readonly string[] = []): Promise<this> {
    const child = spawn(process.execPath, [...nodeArgs, this.#cli, 'start', '--config', this.configPath], {
      env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], cwd: this.#cwd,
    })
    this.#child = child
    this.#exit = new Promise((r) => child.on('exit', (code) => r(code)))
    createInterface({ input: child.stdout! }).on('line', (line) => this.#onLine(line))
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString() })
    const started = await Promise.race([
      this.waitForLog((l) => l.msg === 'sluice started', 15_000),
      this.#exit.then((code) => { throw new Error(`sluice exited with ${code} before starting: ${stderr}`) }),
    ])
    this.data = started.data as string
    this.admin = started.admin as string
    return this
  }

  waitForLog(match: (l: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    const seen = this.logs.find(match)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching log line in ${timeoutMs} ms; got:\n${this.logs.map((l) => JSON.stringify(l)).join('\n')}`)), timeoutMs)
      this.#waiters.push({ match, resolve: (l) => { clearTimeout(timer); resolvePromise(l) } })
    })
  }

  signal(sig: NodeJS.Signals): void {
    this.#child?.kill(sig)
  }

  exited(): Promise<number | null> {
    return this.#exit ?? Promise.resolve(null)
  }

  async stop(): Promise<void> {
    if (this.#child && this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGKILL')
      await this.#exit
    }
    rmSync(this.dir, { recursive: true, force: true })
  }

  #onLine(line: string): void {
    let parsed: LogLine
    try { parsed = JSON.parse(line) as LogLine } catch { return }
    this.logs.push(parsed)
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.match(parsed)) return true
      w.resolve(parsed)
      return false
    })
  }
}

/**
 * An afterEach body: stops the test's `sluice start` process (if it started one) and closes the
 * backends it started, emptying the list for the next test.
 */
export async function stopSluiceAndBackends(
  sluice: SluiceProcess | undefined, backends: Array<{ close(): Promise<void> }>,
): Promise<void> {
  await sluice?.stop()
  await Promise.all(backends.splice(0).map((b) => b.close()))
}

/** A config for tests: both planes on port 0, no drain delay unless asked. */
export function testConfig(routesYaml: string, extra = ''): string {
  return `listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
shutdown: { drainDelay: 0s, timeout: 5s }
${extra}
routes:${routesYaml.trim() === '' ? ' []' : `\n${routesYaml}`}`
}
