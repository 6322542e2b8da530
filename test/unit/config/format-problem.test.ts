import { describe, expect, it } from 'vitest'
import { formatProblem } from '../../../src/config/index.js'

describe('formatProblem', () => {
  it('prints FILE:LINE:COL: path.to.key: message', () => {
    expect(formatProblem({ file: 'sluice.yaml', line: 5, col: 7, path: 'routes.0.stikcy', message: 'unknown key' }))
      .toBe('sluice.yaml:5:7: routes.0.stikcy: unknown key')
  })

  it('leaves the path out for a problem with the whole file', () => {
    expect(formatProblem({ file: 'x.yaml', line: 1, col: 1, path: '', message: 'cannot read the file: ENOENT' }))
      .toBe('x.yaml:1:1: cannot read the file: ENOENT')
  })
})
