-- Copy a session to a new id server-side; both lists are in one slot (or not on a cluster).
-- KEYS[1]  the source list
-- KEYS[2]  the destination list
-- KEYS[3]  the source companion hash
-- KEYS[4]  the destination companion hash
-- ARGV[1]  "1" to replace an existing destination
-- Returns  {items copied, owner or false}; {-1, false} when the destination exists and may
--          not be replaced; a "WRONGTYPE <type>" error, touching nothing, for a foreign key.
for _, key in ipairs({KEYS[1], KEYS[2]}) do
    local key_type = redis.call('TYPE', key)['ok']
    if key_type ~= 'none' and key_type ~= 'list' then
        return redis.error_reply('WRONGTYPE ' .. key_type)
    end
end
if redis.call('EXISTS', KEYS[2]) == 1 and ARGV[1] ~= '1' then
    return {-1, false}
end
if redis.call('EXISTS', KEYS[1]) == 0 then
    return {0, false}
end
-- COPY keeps each key's expiry.
redis.call('COPY', KEYS[1], KEYS[2], 'REPLACE')
redis.call('DEL', KEYS[4])
local time = redis.call('TIME')
local now = time[1] .. string.format('%06d', tonumber(time[2]))
if redis.call('COPY', KEYS[3], KEYS[4]) == 1 then
    -- The fork is a new session, written now: its own timestamps, none of the source's
    -- batch ids.
    redis.call('HDEL', KEYS[4], 'b')
    redis.call('HSET', KEYS[4], 'c', now, 'u', now)
else
    redis.call('HSET', KEYS[4], 'c', now, 'u', now)
    local ttl = redis.call('PTTL', KEYS[2])
    if ttl > 0 then
        redis.call('PEXPIRE', KEYS[4], ttl)
    end
end
return {redis.call('LLEN', KEYS[2]), redis.call('HGET', KEYS[4], 'owner')}
