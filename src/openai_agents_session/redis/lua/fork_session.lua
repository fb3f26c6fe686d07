-- Copy a session to a new id server-side; both lists are in one slot (or not on a cluster).
-- KEYS[1]  the source list
-- KEYS[2]  the destination list
-- KEYS[3]  the source metadata
-- KEYS[4]  the destination metadata
-- KEYS[5]  the destination batch ids
-- ARGV[1]  "1" to replace an existing destination
-- Returns  the number of items copied; -1 when the destination exists and may not be
--          replaced; a "WRONGTYPE <type>" error, touching nothing, for a key of another type.
for _, key in ipairs({KEYS[1], KEYS[2]}) do
    local key_type = redis.call('TYPE', key)['ok']
    if key_type ~= 'none' and key_type ~= 'list' then
        return redis.error_reply('WRONGTYPE ' .. key_type)
    end
end
if redis.call('EXISTS', KEYS[2]) == 1 and ARGV[1] ~= '1' then
    return -1
end
if redis.call('EXISTS', KEYS[1]) == 0 then
    return 0
end
redis.call('COPY', KEYS[1], KEYS[2], 'REPLACE')
redis.call('DEL', KEYS[4], KEYS[5])
if redis.call('EXISTS', KEYS[3]) == 1 then
    redis.call('COPY', KEYS[3], KEYS[4], 'REPLACE')
end
local time = redis.call('TIME')
redis.call('HSET', KEYS[4], 'created_at', time[1] .. '.' .. string.format('%06d', tonumber(time[2])))
local ttl = redis.call('TTL', KEYS[1])
if ttl > 0 then
    redis.call('EXPIRE', KEYS[4], ttl)
end
return redis.call('LLEN', KEYS[2])
