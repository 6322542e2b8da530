import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { freePort } from '../../src/util/free-port.js'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { findExecutable, missingReason } from './tools.js'

/**
 * A throw-away nginx on a private prefix, as an external oracle (for split_clients). Everything it
 * writes (pid, logs, temp dirs) stays inside its own temp directory, which stop() removes.
 */

/** Debian installs nginx in /usr/sbin, which is not on every user's PATH. */
const WELL_KNOWN = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']

/** The nginx binary: $NGINX_BIN, else the first on PATH, else a well-known location; undefined if none. */
export function findNginx(): string | undefined {
  return findExecutable('nginx', { envVar: 'NGINX_BIN', wellKnown: WELL_KNOWN })
}

export const NO_NGINX_REASON = missingReason('nginx', 'nginx-light')

export interface NginxOptions {
  readonly bin: string
  /** Directives for the `http` block (split_clients, map, …). */
  readonly http: string
  /** Locations for the one `server` block. */
  readonly locations: string
}

export interface NginxInstance {
  readonly origin: string
  stop(): Promise<void>
}

const START_ATTEMPTS = 5
const READY_TIMEOUT_MS = 10_000

/** Starts nginx and waits until it answers; retries on a new port if the chosen one was taken. */
export async function startNginx(opts: NginxOptions): Promise<NginxInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-nginx-'))
  try {
    for (let attempt = 1; ; attempt++) {
      const started = await tryStart(opts, dir)
      if (started !== 'port-taken') return started
      if (attempt >= START_ATTEMPTS) throw new Error(`nginx: no free port after ${START_ATTEMPTS} attempts`)
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
}


async function tryStart(opts: NginxOptions, dir: string): Promise<NginxInstance | 'port-taken'> {
  // nginx cannot listen on port 0 and report it: a probed port, retried when nginx finds it taken.
  const port = await freePort()
  const nonce = randomBytes(8).toString('hex')
  const errorLog = join(dir, 'error.log')
  writeFileSync(errorLog, '')
  writeFileSync(join(dir, 'nginx.conf'), config(dir, port, nonce, opts))
  const child = spawn(opts.bin, ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', errorLog], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const origin = `http://127.0.0.1:${port}`
  const ready = await waitReady(child, origin, nonce)
  if (ready) return { origin, stop: () => stop(child, dir) }
  await stop(child, undefined)
  const log = `${readFileSync(errorLog, 'utf8')}${stderr}`
  if (/Address already in use/.test(log)) return 'port-taken'
  throw new Error(`nginx did not start:\n${log}`)
}

function config(dir: string, port: number, nonce: string, opts: NginxOptions): string {
  return `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body_temp;
  proxy_temp_path ${dir}/proxy_temp;
  fastcgi_temp_path ${dir}/fastcgi_temp;
  uwsgi_temp_path ${dir}/uwsgi_temp;
  scgi_temp_path ${dir}/scgi_temp;
  default_type text/plain;
${opts.http}
  server {
    listen 127.0.0.1:${port};
    # Proves that the answering server is this nginx, not whoever else may hold the port.
    location = /__sluice_ready { return 200 "${nonce}"; }
${opts.locations}
  }
}
`
}

/** True once our nginx answers with our nonce; false if it exited first or never answered. */
async function waitReady(child: ChildProcess, origin: string, nonce: string): Promise<boolean> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false
    try {
      const res = await request(`${origin}/__sluice_ready`)
      if ((await res.body.text()) === nonce) return true
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return false
}

async function stop(child: ChildProcess, dir: string | undefined): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 2_000)
    await exited
    clearTimeout(timer)
  }
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
}
