--[[
  Record one live group-membership edit and announce it (StateStore.setMember).
  The members hash carries its own version so replicas apply edits in order and never go back.

  Input:
    KEYS[1] members hash   'v' = members version (integer);
                           '["group","id"]' (JSON) = '1' added live | '0' removed live

    ARGV[1] field: JSON [group, id]
    ARGV[2] '1' present (added) | '0' absent (removed)
    ARGV[3] change channel
    ARGV[4] the target's ref key (kind/name), for the change notice
    ARGV[5] origin: the writing replica's id

  Output:
    the new members version
]]
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local version = redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('PUBLISH', ARGV[3], cjson.encode({r = ARGV[4], o = ARGV[5], mv = version}))
return version
