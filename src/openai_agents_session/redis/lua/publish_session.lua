-- Publish a session staged in a list of its own, atomically: it appears whole or not at all.
-- KEYS[1]  the staging list (in the destination's slot)
-- KEYS[2]  the destination list
-- KEYS[3]  the destination companion hash
-- ARGV[1]  "1" to replace an existing destination
-- ARGV[2]  the time to live in seconds; 0 for none
-- ARGV[3..] companion field, value, field, value, ...; c and u are now when absent
-- Returns  {the number of items published, the owner the replaced session had or false};
--          {-1, false} when the destination exists and may not be replaced (the staging list
--          is dropped); WRONGTYPE for a key of another type.
local key_type = redis.call('TYPE', KEYS[2])['ok']
if key_type ~= 'none' and key_type ~= 'list' then
    redis.call('DEL', KEYS[1])
    return redis.error_reply('WRONGTYPE ' .. key_type)
end
if key_type == 'list' and ARGV[1] ~= '1' then
    redis.call('DEL', KEYS[1])
    return {-1, false}
end
-- The caller moves the session out of this owner's index, which lives in another slot.
local previous_owner = redis.call('HGET', KEYS[3], 'owner')
redis.call('DEL', KEYS[2], KEYS[3])
if redis.call('EXISTS', KEYS[1]) == 0 then
    return {0, previous_owner}
end
redis.call('RENAME', KEYS[1], KEYS[2])
if #ARGV > 2 then
    redis.call('HSET', KEYS[3], unpack(ARGV, 3))
end
-- A record without timestamps (or a fork, which gets its own) starts its life now.
local time = redis.call('TIME')
local now = time[1] .. string.format('%06d', tonumber(time[2]))
redis.call('HSETNX', KEYS[3], 'c', now)
redis.call('HSETNX', KEYS[3], 'u', now)
local ttl = tonumber(ARGV[2])
if ttl > 0 then
    redis.call('EXPIRE', KEYS[2], ttl)
    redis.call('EXPIRE', KEYS[3], ttl)
else
    redis.call('PERSIST', KEYS[2])
end
return {redis.call('LLEN', KEYS[2]), previous_owner}
