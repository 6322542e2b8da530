import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSideBackend, type SideBackend } from '../helpers/side-backend.js'
import { SluiceProcess, testConfig } from '../helpers/sluice-process.js'

/**
 * The Dockerfile, checked without a Docker engine (none on the machines this suite runs on): its
 * shape (the requirements), then a rehearsal of its runtime stage. The rehearsal builds the
 * final image's /app as the Dockerfile says (each COPY of the last stage: the `deps` stage's RUN
 * for node_modules, the `build` stage's dist/, which `npm test` has just built the same way, files
 * from the repository for the rest), runs its CMD and HEALTHCHECK commands there with the image's
 * ENV, and proves the image would start, proxy, report healthy and stop on SIGTERM with production
 * dependencies only.
 */
const ROOT = resolve(import.meta.dirname, '../..')
const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')

interface Instruction { op: string; args: string }
interface Stage { from: string; name: string | undefined; steps: Instruction[] }

/** Instructions with `\` continuations joined, comments and blank lines dropped, grouped by FROM. */
function parseDockerfile(text: string): Stage[] {
  const logical = text.replace(/\\\n\s*/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  const stages: Stage[] = []
  for (const line of logical) {
    const space = line.indexOf(' ')
    const op = line.slice(0, space).toUpperCase()
    const args = line.slice(space + 1).trim()
    if (op === 'FROM') {
      const [from, as, name] = args.split(/\s+/)
      stages.push({ from: from!, name: as?.toUpperCase() === 'AS' ? name : undefined, steps: [] })
    } else {
      stages.at(-1)!.steps.push({ op, args })
    }
  }
  return stages
}

/** An exec-form argument list (`["node", "dist/main.js"]`), or undefined for the shell form. */
function execForm(args: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(args)
    return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : undefined
  } catch {
    return undefined
  }
}

function run(
  cmd: string, args: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => { output += d.toString() })
    child.stderr.on('data', (d: Buffer) => { output += d.toString() })
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${cmd} ${args.join(' ')} timed out:\n${output}`)) }, opts.timeoutMs ?? 20_000)
    child.on('exit', (code) => { clearTimeout(timer); resolvePromise({ code, output }) })
  })
}

const stages = parseDockerfile(DOCKERFILE)
const final = stages.at(-1)!
const stepsOf = (stage: Stage, op: string) => stage.steps.filter((s) => s.op === op)

describe('Dockerfile: the shape the issue asks for', () => {
  it('is multi-stage, on Node 24 slim, with production dependencies from npm ci --omit=dev', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2)
    for (const s of stages) expect(s.from).toBe('node:24-slim')
    const deps = stages.find((s) => stepsOf(s, 'RUN').some((r) => /\bnpm ci\b.*--omit=dev/.test(r.args)))
    expect(deps?.name, 'a named stage runs npm ci --omit=dev').toBeDefined()
    expect(stepsOf(final, 'COPY').map((c) => c.args)).toContain(`--from=${deps!.name} /app/node_modules ./node_modules`)
  })

  it('runs as a non-root user with an exec-form CMD and a HEALTHCHECK through the CLI', () => {
    expect(stepsOf(final, 'USER').map((u) => u.args)).toEqual(['node'])
    const cmd = execForm(stepsOf(final, 'CMD')[0]!.args)
    expect(cmd?.slice(0, 3)).toEqual(['node', 'dist/main.js', 'start'])
    const health = stepsOf(final, 'HEALTHCHECK')[0]!.args
    expect(execForm(health.slice(health.indexOf('CMD ') + 4))).toEqual(['node', 'dist/main.js', 'healthcheck'])
  })
})

/**
 * A path from an earlier stage's /app. The build stage's output is the repository's own dist/,
 * which `npm test` has just built with the same `npm run build`. Any other stage is rehearsed: its
 * COPYs from the repository, then its RUN commands as written, in a directory of its own (npm
 * reads the cache the suite's own install filled).
 */
const rehearsed = new Map<string, string>()
async function stageOutput(name: string, src: string): Promise<string> {
  const inApp = src.replace(/^\/app\//, '')
  const stage = stages.find((s) => s.name === name)
  if (stage === undefined) throw new Error(`COPY --from=${name}: no such stage`)
  if (stepsOf(stage, 'RUN').some((r) => /npm run build/.test(r.args)) && inApp === 'dist') return join(ROOT, 'dist')
  let dir = rehearsed.get(name)
  if (dir === undefined) {
    dir = mkdtempSync(join(tmpdir(), `sluice-image-${name}-`))
    rehearsed.set(name, dir)
    for (const c of stepsOf(stage, 'COPY')) {
      const files = c.args.split(/\s+/).slice(0, -1)
      for (const f of files) cpSync(join(ROOT, f), join(dir, basename(f)), { recursive: true })
    }
    for (const r of stepsOf(stage, 'RUN')) {
      const res = await run('sh', ['-c', r.args], {
        cwd: dir, env: { npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' }, timeoutMs: 120_000,
      })
      if (res.code !== 0) throw new Error(`stage ${name}: '${r.args}' failed:\n${res.output}`)
    }
  }
  return join(dir, inApp)
}

describe('Dockerfile: its runtime stage, rehearsed', () => {
  let app: string
  let sluice: SluiceProcess | undefined
  let old: SideBackend
  let neu: SideBackend
  const env: NodeJS.ProcessEnv = {}

  beforeAll(async () => {
    app = mkdtempSync(join(tmpdir(), 'sluice-image-'))
    old = await startSideBackend('old')
    neu = await startSideBackend('new')
    for (const e of stepsOf(final, 'ENV')) {
      const [k, v] = e.args.split('=')
      env[k!] = v
    }
    for (const copy of stepsOf(final, 'COPY')) {
      const parts = copy.args.split(/\s+/)
      const from = parts[0]!.startsWith('--from=') ? parts.shift()!.slice('--from='.length) : undefined
      const destArg = parts.pop()!
      for (const src of parts) {
        // Docker: into a directory when the destination ends with '/', else to that very path.
        const dest = destArg.endsWith('/') ? join(app, destArg, basename(src)) : join(app, destArg)
        if (from === undefined) cpSync(join(ROOT, src), dest, { recursive: true })
        else cpSync(await stageOutput(from, src), dest, { recursive: true })
      }
    }
  }, 180_000)

  afterAll(async () => {
    await sluice?.stop()
    await Promise.all([old?.close(), neu?.close()])
    if (app) rmSync(app, { recursive: true, force: true })
    for (const dir of rehearsed.values()) rmSync(dir, { recursive: true, force: true })
  })

  it('holds production dependencies only, and what the CMD needs', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> }
    for (const dep of Object.keys(pkg.dependencies)) expect(existsSync(join(app, 'node_modules', dep)), dep).toBe(true)
    for (const dev of Object.keys(pkg.devDependencies)) expect(existsSync(join(app, 'node_modules', dev)), `${dev} must not be in the image`).toBe(false)
    expect(existsSync(join(app, 'dist/main.js'))).toBe(true)
    expect(existsSync(join(app, 'src'))).toBe(false)
  })

  it('starts with the image CMD, proxies, answers the HEALTHCHECK, and stops on SIGTERM', async () => {
    const cmd = execForm(stepsOf(final, 'CMD')[0]!.args)!
    expect(cmd.slice(3, 4)).toEqual(['--config'])
    sluice = new SluiceProcess(testConfig(`  - name: web\n    old: ${old.url}\n    new: ${neu.url}\n    percent: 0`), undefined, { cli: join(app, cmd[1]!), cwd: app })
    await sluice.start(env)

    const res = await request(`${sluice.data}/hello`)
    expect(res.statusCode).toBe(200)
    expect(await res.body.json()).toEqual({ backend: 'old' })
    // The dashboard's files come from the image itself (dist/admin/ui and uPlot in node_modules).
    for (const asset of ['/ui/dashboard.js', '/ui/dashboard.css', '/ui/uplot.js', '/ui/uplot.css']) {
      const got = await request(`${sluice.admin}${asset}`)
      expect(got.statusCode, asset).toBe(200)
      expect((await got.body.text()).length, asset).toBeGreaterThan(100)
    }

    const health = execForm(stepsOf(final, 'HEALTHCHECK')[0]!.args.replace(/^.*?CMD /, ''))!
    const healthEnv = { ...env, SLUICE_ADMIN_URL: sluice.admin }
    const healthy = await run(health[0] === 'node' ? process.execPath : health[0]!, health.slice(1), { cwd: app, env: healthEnv })
    expect(healthy.code, healthy.output).toBe(0)

    sluice.signal('SIGTERM')
    expect(await sluice.exited()).toBe(0)
    const unhealthy = await run(process.execPath, health.slice(1), { cwd: app, env: healthEnv })
    expect(unhealthy.code).not.toBe(0)
  }, 30_000)
})
