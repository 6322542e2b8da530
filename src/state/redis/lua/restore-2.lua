--[[
  After a reconnect, bring one target forward to what this replica last saw, when Redis holds
  less: the key is missing (Redis restarted without persistence) or holds an older version (a
  failover to a replica that had not received the last writes). Versions never go backwards, so
  a replica that is behind changes nothing. History is not restored: it lives in Redis only.

  Input:
    KEYS[1] live hash      as in update-2.lua
    KEYS[2] members hash   as in set-member-1.lua

    ARGV[1] live version this replica holds ('0' = none)
    ARGV[2] live state JSON without the version ('' when ARGV[1] is '0')
    ARGV[3] members version this replica holds ('0' = none)
    ARGV[4] change channel
    ARGV[5] the target's ref key (kind/name), for the change notice
    ARGV[6] origin: the restoring replica's id
    ARGV[7..] members fields and values, in pairs (field, '1' | '0')

  Output:
    {liveRestored, membersRestored}   1 where this call wrote, else 0
]]
local liveRestored, membersRestored = 0, 0
local liveVersion = tonumber(ARGV[1])
if liveVersion > 0 and tonumber(redis.call('HGET', KEYS[1], 'v') or '0') < liveVersion then
  redis.call('HSET', KEYS[1], 'v', liveVersion, 'd', ARGV[2])
  liveRestored = 1
end

local membersVersion = tonumber(ARGV[3])
if membersVersion > 0 and tonumber(redis.call('HGET', KEYS[2], 'v') or '0') < membersVersion then
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[2], 'v', membersVersion)
  for i = 7, #ARGV, 2 do
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  end
  membersRestored = 1
end

if liveRestored == 1 or membersRestored == 1 then
  redis.call('PUBLISH', ARGV[4], cjson.encode({r = ARGV[5], o = ARGV[6], v = liveVersion, mv = membersVersion}))
end
return {liveRestored, membersRestored}
