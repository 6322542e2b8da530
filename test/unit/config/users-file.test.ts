import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { readGroupMembers } from '../../../src/config/users-file.js'

let dir: string | undefined
afterEach(() => { if (dir) rmSync(dir, { recursive: true, force: true }) })

function file(text: string): string {
  dir = mkdtempSync(join(tmpdir(), 'sluice-users-file-'))
  const path = join(dir, 'users.txt')
  writeFileSync(path, text)
  return path
}

describe('readGroupMembers: a usersFile, streamed', () => {
  it('inline users first, then the file: trimmed, no blanks, no comments, no duplicates, CRLF too', async () => {
    const members = await readGroupMembers(file('# beta\r\ncarol\r\n\r\n   dave  \r\nbob\n  # old: erin\nfrank'), ['alice', 'bob'])
    expect(members.ids).toEqual(['alice', 'bob', 'carol', 'dave', 'frank'])
    expect(Object.isFrozen(members.ids)).toBe(true)
  })

  it('lines across chunk boundaries, multi-byte characters and a line longer than a chunk come out whole', async () => {
    // 64 KiB chunks: 200,000 ids of varying length cross many boundaries; the long id spans several chunks.
    const ids = Array.from({ length: 200_000 }, (_, i) => `üser-${i}-${'x'.repeat(i % 7)}@exämple.com`)
    const long = 'y'.repeat(300_000)
    const members = await readGroupMembers(file(`${ids.slice(0, 1000).join('\n')}\n${long}\n${ids.slice(1000).join('\n')}\n`), [])
    expect(members.ids.length).toBe(200_001)
    expect(members.ids[1000]).toBe(long)
    expect(members.ids.filter((id) => id !== long)).toEqual(ids)
  })

  it('keeps the first of duplicates across a file large enough for the sharded filter', async () => {
    const ids = Array.from({ length: 150_000 }, (_, i) => `u${i % 100_000}`)
    const members = await readGroupMembers(file(ids.join('\n')), ['u5'])
    expect(members.ids.length).toBe(100_000)
    expect(members.ids[0]).toBe('u5')
    expect(members.ids[1]).toBe('u0')
    expect(new Set(members.ids).size).toBe(100_000)
  })

  it('an unreadable file rejects with the fs error', async () => {
    await expect(readGroupMembers(join(tmpdir(), 'no-such-sluice-users.txt'), [])).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
