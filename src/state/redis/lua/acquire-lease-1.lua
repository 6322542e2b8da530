--[[
  Take a lease (SET NX PX) or, when this holder already has it, renew it (compare-and-pexpire).
  Redis's clock measures the time to live, so replicas' clocks need not agree.

  Input:
    KEYS[1] lease key   value = the holder's id, with a time to live

    ARGV[1] holder id
    ARGV[2] time to live in ms

  Output:
    1 this holder holds the lease for ARGV[2] ms from now; 0 another holder has it
]]
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
