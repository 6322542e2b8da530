--[[
  Give a lease up at once, but only if this holder still has it (compare-and-delete): a holder
  whose lease already expired and was taken by another must not delete the new holder's lease.

  Input:
    KEYS[1] lease key

    ARGV[1] holder id

  Output:
    1 released; 0 this holder did not hold it
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
