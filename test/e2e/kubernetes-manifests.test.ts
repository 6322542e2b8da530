import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'
import { runCli, SluiceProcess } from '../helpers/sluice-process.js'

/**
 * deploy/kubernetes is checked against sluice itself: every probe path answers on the port the
 * probe names, every named port is the one the ConfigMap's config listens on, the config (base and
 * Redis overlay) passes `sluice validate`, the PrometheusRule carries the shipped alert rules, and
 * the security settings the README promises are there. No cluster needed; kubectl would only add
 * schema checks of Kubernetes' own.
 */
const DIR = resolve(import.meta.dirname, '../../deploy/kubernetes')
type Doc = { kind: string; metadata: { name: string; labels?: Record<string, string> }; [k: string]: unknown }
/** Manifests are untyped YAML: the assertions below are their type check. */
type Any = any

function docs(dir: string): Doc[] {
  return readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as Doc))
}
const base = docs(DIR)
const overlay = docs(join(DIR, 'redis'))
const find = (list: Doc[], kind: string, name?: string): Any => {
  const d = list.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name))
  if (!d) throw new Error(`no ${kind} ${name ?? ''}`)
  return d
}
const deployment = find(base, 'Deployment', 'sluice')
const container = deployment.spec.template.spec.containers[0]
const configYaml = (list: Doc[]): string => find(list, 'ConfigMap', 'sluice-config').data['sluice.yaml']
const portOf = (listen: string): number => Number(listen.slice(listen.lastIndexOf(':') + 1))

describe('deploy/kubernetes', () => {
  it('every kustomization resource and patch exists', () => {
    for (const dir of [DIR, join(DIR, 'redis')]) {
      const k = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { resources: string[]; patches?: Array<{ path: string }> }
      for (const r of [...k.resources, ...(k.patches ?? []).map((p) => p.path)]) expect(existsSync(join(dir, r)), `${dir}: ${r}`).toBe(true)
    }
  })

  it('runs non-root on a read-only root filesystem with resources, config as a directory mount', () => {
    const pod = deployment.spec.template.spec
    expect(pod.securityContext.runAsNonRoot).toBe(true)
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } })
    expect(container.resources.requests).toHaveProperty('cpu')
    expect(container.resources.limits).toHaveProperty('memory')
    const mount = container.volumeMounts.find((m: Any) => m.name === 'config')
    // No subPath: a subPath mount never sees ConfigMap updates, so reloads would not happen.
    expect(mount).toEqual({ name: 'config', mountPath: '/etc/sluice', readOnly: true })
    expect(pod.volumes.find((v: Any) => v.name === 'config').configMap.name).toBe('sluice-config')
    expect(container.args).toEqual(['start', '--config', '/etc/sluice/sluice.yaml'])
    expect(container.env.find((e: Any) => e.name === 'SLUICE_ADMIN_TOKEN').valueFrom.secretKeyRef.name).toBe(find(base, 'Secret').metadata.name)
  })

  it('named ports are the ports the config listens on; Services, ServiceMonitor and PDB select what exists', () => {
    const cfg = parse(configYaml(base)) as { listen: string; admin: { listen: string } }
    const ports = Object.fromEntries(container.ports.map((p: Any) => [p.name, p.containerPort]))
    expect(ports).toEqual({ http: portOf(cfg.listen), admin: portOf(cfg.admin.listen) })
    for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) expect(ports[container[probe].httpGet.port], probe).toBeDefined()
    const podLabels = deployment.spec.template.metadata.labels
    const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v)
    for (const svc of base.filter((d) => d.kind === 'Service') as Any[]) {
      expect(selects(svc.spec.selector, podLabels), svc.metadata.name).toBe(true)
      for (const p of svc.spec.ports) expect(ports[p.targetPort], `${svc.metadata.name} → ${p.targetPort}`).toBeDefined()
    }
    const monitor = find(base, 'ServiceMonitor')
    const adminSvc = find(base, 'Service', 'sluice-admin')
    expect(selects(monitor.spec.selector.matchLabels, adminSvc.metadata.labels)).toBe(true)
    expect(selects(monitor.spec.selector.matchLabels, find(base, 'Service', 'sluice').metadata.labels)).toBe(false)
    expect(adminSvc.spec.ports.map((p: Any) => p.name)).toContain(monitor.spec.endpoints[0].port)
    expect(selects(find(base, 'PodDisruptionBudget').spec.selector.matchLabels, podLabels)).toBe(true)
  })

  it('the PrometheusRule holds exactly the shipped alert rules', () => {
    const shipped = parse(readFileSync(resolve(DIR, '../prometheus/sluice-alerts.yml'), 'utf8')) as { groups: unknown }
    expect(find(base, 'PrometheusRule').spec.groups, 'run node scripts/write-prometheusrule.mjs').toEqual(shipped.groups)
  })

  it('the ConfigMap config of the base and of the Redis overlay pass sluice validate', async () => {
    for (const [name, yaml] of [['base', configYaml(base)], ['redis', configYaml(overlay)]] as const) {
      const proc = new SluiceProcess(yaml)
      try {
        const r = await runCli(['validate', '--config', proc.configPath], { SLUICE_ADMIN_TOKEN: 'k8s-test-token' })
        expect(r.code, `${name}: ${r.stdout}${r.stderr}`).toBe(0)
      } finally { await proc.stop() }
    }
    const redisCfg = parse(configYaml(overlay)) as { state: { store: string; redis: string } }
    expect(redisCfg.state.store).toBe('redis')
    expect(new URL(redisCfg.state.redis).hostname).toBe(find(overlay, 'Service', 'sluice-redis').metadata.name)
    expect(find(overlay, 'Deployment', 'sluice').spec.replicas).toBeGreaterThan(1)
  })

  describe('the probes against a sluice started with the ConfigMap config', () => {
    let sluice: SluiceProcess | undefined
    afterAll(async () => { await sluice?.stop() })

    it('every probe path answers 200 on the admin plane', async () => {
      // Only the addresses change (port 0 on loopback) and the state file moves into the test's dir.
      const yaml = configYaml(base).replace(/listen: 0\.0\.0\.0:\d+/g, 'listen: 127.0.0.1:0').replace('/var/lib/sluice/state.json', './state.json')
      sluice = await new SluiceProcess(yaml).start({ SLUICE_ADMIN_TOKEN: 'k8s-test-token' })
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        const res = await fetch(`${sluice.admin}${container[probe].httpGet.path}`)
        expect(res.status, probe).toBe(200)
      }
    })
  })
})
