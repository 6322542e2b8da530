import { formatProblem, loadConfigText, type Config } from '../../../src/config/index.js'

/** A route block that passes validation, to build test configs from. */
export const ROUTE = `
  - name: checkout
    old: http://127.0.0.1:3001
    new: http://127.0.0.1:3002
`

/** Load YAML text that must be valid; fails the test with the problem lines otherwise. */
export async function loadOk(yaml: string, env: NodeJS.ProcessEnv = {}, baseDir?: string): Promise<Config> {
  const result = await loadConfigText(yaml, 'test.yaml', env, baseDir)
  if (!result.ok) throw new Error(`expected a valid config, got:\n${result.problems.map(formatProblem).join('\n')}`)
  return result.config
}

/** Load YAML text that must be invalid; returns the formatted problem lines. */
export async function loadProblems(yaml: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const result = await loadConfigText(yaml, 'test.yaml', env)
  if (result.ok) throw new Error('expected problems, but the config loaded')
  return result.problems.map(formatProblem)
}

/** The first route of a config that must be valid. */
export async function firstRoute(routeYaml: string, env: NodeJS.ProcessEnv = {}) {
  const config = await loadOk(`routes:\n${routeYaml}`, env)
  const route = config.routes[0]
  if (!route) throw new Error('no route')
  return route
}
