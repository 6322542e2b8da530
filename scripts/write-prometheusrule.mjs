#!/usr/bin/env node
// Writes deploy/kubernetes/prometheusrule.yaml from deploy/prometheus/sluice-alerts.yml, so the
// Prometheus Operator gets exactly the rules promtool checks. test/e2e/kubernetes-manifests.test.ts
// fails when the two differ: run `node scripts/write-prometheusrule.mjs` after editing the rules.
import { readFileSync, writeFileSync } from 'node:fs'
import { parse, stringify } from 'yaml'

const root = new URL('..', import.meta.url)
const rules = parse(readFileSync(new URL('deploy/prometheus/sluice-alerts.yml', root), 'utf8'))
const doc = { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'sluice', labels: { 'app.kubernetes.io/name': 'sluice' } }, spec: { groups: rules.groups } }
writeFileSync(new URL('deploy/kubernetes/prometheusrule.yaml', root),
  '# Prometheus Operator: the alert rules of deploy/prometheus/sluice-alerts.yml, written by\n# scripts/write-prometheusrule.mjs (a test keeps the two equal).\n' + stringify(doc, { lineWidth: 0 }))
