import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'

/**
 * The Lua scripts of the queue adapters. They live here as strings rather than as lua/*.lua files
 * because tsc copies only .ts output into dist/, and a missing script file would only show at run
 * time. Each opens with its KEYS/ARGV list and is named verb-<nkeys>, as BullMQ names its scripts.
 */
export class Script {
  readonly name: string
  readonly text: string
  readonly sha: string

  constructor(name: string, text: string) {
    this.name = name
    this.text = text
    this.sha = createHash('sha1').update(text).digest('hex')
  }

  /** EVALSHA, loading the script with EVAL the first time a server has not seen it (after a restart too). */
  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args)
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err
      return redis.eval(this.text, keys.length, ...keys, ...args)
    }
  }
}

/** LMOVE is O(1) per element: a batch of MAX_BATCH holds Redis for well under a millisecond. */
export const TAKE_2 = new Script('take-2', `
-- take-2: move up to ARGV[1] elements from the tail of KEYS[1] (the queue) to the head of KEYS[2]
-- (its processing list), oldest first, atomically: a crash right after leaves them in processing.
-- KEYS[1] queue, KEYS[2] processing list; ARGV[1] most elements. Returns the elements moved.
local out = {}
for i = 1, tonumber(ARGV[1]) do
  local v = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
  if not v then break end
  out[i] = v
end
return out
`)

export const ACK_1 = new Script('ack-1', `
-- ack-1: remove acknowledged elements from the processing list, one occurrence each, searching
-- from the tail (the oldest end, where jobs taken first and acknowledged first are).
-- KEYS[1] processing list; ARGV the elements. Returns how many were removed.
local n = 0
for i = 1, #ARGV do
  n = n + redis.call('LREM', KEYS[1], -1, ARGV[i])
end
return n
`)

export const XADD_ONCE_1 = new Script('xadd-once-1', `
-- xadd-once-1: append jobs to a stream unless their id was appended within the marker TTL, so a
-- job published again (after a lost reply or a router crash) does not become a second entry.
-- The marker is set only after XADD succeeded: an XADD error leaves no marker behind.
-- KEYS[1] stream; ARGV[1] marker key prefix, ARGV[2] marker TTL ms, then (id, body) pairs.
-- Returns how many entries were added.
local added = 0
for i = 3, #ARGV, 2 do
  local marker = ARGV[1] .. ARGV[i]
  if redis.call('EXISTS', marker) == 0 then
    redis.call('XADD', KEYS[1], '*', 'id', ARGV[i], 'body', ARGV[i + 1])
    redis.call('SET', marker, '1', 'PX', ARGV[2])
    added = added + 1
  end
end
return added
`)
