import { describe, expect, it } from 'vitest'
import { entityTag, matchesAny } from '../../../src/admin/routes/ofrep.js'

describe('bulk evaluation ETag', () => {
  it('is a quoted strong tag of the answer\'s bytes: equal answers, equal tags', () => {
    const a = entityTag('{"flags":[]}\n')
    expect(a).toMatch(/^"[A-Za-z0-9_-]{27}"$/)
    expect(entityTag('{"flags":[]}\n')).toBe(a)
    expect(entityTag('{"flags":[1]}\n')).not.toBe(a)
  })

  it('If-None-Match matches by weak comparison, in a list, or *', () => {
    const tag = entityTag('x')
    expect(matchesAny(undefined, tag)).toBe(false)
    expect(matchesAny(tag, tag)).toBe(true)
    expect(matchesAny(`W/${tag}`, tag)).toBe(true)
    expect(matchesAny(`"other", ${tag}`, tag)).toBe(true)
    expect(matchesAny('*', tag)).toBe(true)
    expect(matchesAny('"other"', tag)).toBe(false)
    expect(matchesAny(tag.slice(1, -1), tag)).toBe(false)
  })
})
