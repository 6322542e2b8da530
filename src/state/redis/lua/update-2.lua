--[[
  Compare-and-set one target's live state, append its history event and announce the change,
  all in one atomic step (the StateStore.update contract).

  Input:
    KEYS[1] live hash      'v' = version (integer), 'd' = TargetLive JSON without the version
    KEYS[2] history list   one HistoryEvent JSON per element, oldest first

    ARGV[1] expected version (0 = the target must not exist yet)
    ARGV[2] the new state, JSON without the version
    ARGV[3] the history event, JSON; '' = no event
    ARGV[4] history limit: the list keeps the newest N events
    ARGV[5] change channel
    ARGV[6] the target's ref key (kind/name), for the change notice
    ARGV[7] origin: the writing replica's id, so it can skip its own notice

  Output:
    {1, newVersion}                       written and announced
    {0, currentVersion, currentJSON}      version mismatch; nothing written
    {0, 0}                                version mismatch and the target does not exist
]]
local current = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if current ~= tonumber(ARGV[1]) then
  if current == 0 then
    return {0, 0}
  end
  return {0, current, redis.call('HGET', KEYS[1], 'd')}
end

local version = current + 1
redis.call('HSET', KEYS[1], 'v', version, 'd', ARGV[2])
if ARGV[3] ~= '' then
  redis.call('RPUSH', KEYS[2], ARGV[3])
  redis.call('LTRIM', KEYS[2], -tonumber(ARGV[4]), -1)
end
redis.call('PUBLISH', ARGV[5], cjson.encode({r = ARGV[6], o = ARGV[7], v = version}))
return {1, version}
