import { describe, expect, it } from 'vitest'
import { loadOk, loadProblems, ROUTE } from './load-helper.js'

describe('${VAR} interpolation', () => {
  it('substitutes set variables and ${VAR:-default} defaults inside values', async () => {
    const config = await loadOk(`listen: \${HOST:-127.0.0.1}:\${PORT}\nroutes:${ROUTE}`, { PORT: '9999' })
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 9999 })
  })

  it('uses the default when the variable is set but empty, like the shell', async () => {
    const config = await loadOk(`listen: \${LISTEN:-127.0.0.1:7000}\nroutes:${ROUTE}`, { LISTEN: '' })
    expect(config.listen.port).toBe(7000)
  })

  it('types an unquoted result like YAML would (numbers, booleans) and keeps a quoted one a string', async () => {
    const config = await loadOk(`routes:${ROUTE}    percent: \${PCT}\n    optIn: \${OPT:-true}\n    groups:\n      beta: { backend: new, users: ["\${ID}"] }\n`, { PCT: '2.5', ID: '42' })
    expect(config.routes[0]?.percentBp).toBe(250)
    expect(config.routes[0]?.optIn).toBe(true)
    expect(config.routes[0]?.groups[0]?.users).toEqual(['42'])
  })

  it('keeps $${...} as a literal ${...}', async () => {
    const config = await loadOk(`admin: { token: "a$\${NOT_A_VAR}b" }\nroutes:${ROUTE}`)
    expect(config.admin.token).toBe('a${NOT_A_VAR}b')
  })

  it('never interpolates keys', async () => {
    const lines = await loadProblems(`\${KEY}: 1\nroutes:${ROUTE}`, { KEY: 'listen' })
    expect(lines).toEqual(['test.yaml:1:1: ${KEY}: unknown key (allowed: listen, admin, state, routes, queues, notify, prometheus, log, shutdown)'])
  })

  it('reports malformed references at their value', async () => {
    const lines = await loadProblems(`listen: \${PORT:8080}\nadmin: { token: "\${TOKEN" }\nroutes:${ROUTE}`)
    expect(lines).toEqual([
      "test.yaml:1:9: listen: '${PORT:8080}' is not a variable reference: use ${NAME} or ${NAME:-default}",
      "test.yaml:2:17: admin.token: '${' is not closed: use ${NAME} or ${NAME:-default}",
    ])
  })

  it('does not read variables that are only mentioned in comments', async () => {
    await expect(loadOk(`# listen: \${UNSET}\nroutes:${ROUTE}`)).resolves.toBeDefined()
  })
})
