import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { keysOf, LUA_DIR, scriptFiles } from '../../../src/state/redis/scripts.js'

// docs/DESIGN.md ("House style"): each Lua script is named verb-<nkeys>.lua and opens with its KEYS/ARGV.
describe('redis store Lua scripts', () => {
  it('the folder holds exactly the scripts the store loads', () => {
    expect(readdirSync(LUA_DIR).filter((f) => f.endsWith('.lua')).sort()).toEqual([...scriptFiles()].sort())
  })

  for (const file of scriptFiles()) {
    it(`${file}: named verb-<nkeys>.lua, header lists KEYS[1..n] and ARGV, code uses no other key`, () => {
      expect(file).toMatch(/^[a-z]+(-[a-z]+)*-\d+\.lua$/)
      const text = readFileSync(join(LUA_DIR, file), 'utf8')
      const header = /^--\[\[([\s\S]*?)\]\]/.exec(text)?.[1]
      expect(header, 'a --[[ … ]] header comment first').toBeDefined()
      const n = keysOf(file)
      for (let i = 1; i <= n; i++) expect(header).toContain(`KEYS[${i}]`)
      expect(header).not.toContain(`KEYS[${n + 1}]`)
      expect(header).toContain('ARGV[1]')
      const used = [...text.slice(header!.length).matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]))
      expect(Math.max(...used)).toBeLessThanOrEqual(n)
    })
  }
})
