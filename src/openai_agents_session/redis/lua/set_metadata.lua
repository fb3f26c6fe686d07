-- Set user fields of a session's metadata, keeping created_at and the session's expiry.
-- KEYS[1]  the session's metadata
-- ARGV[1]  the session's time to live in seconds; 0 for none
-- ARGV[2..] field, value, field, value, ...; an empty value deletes the field
-- Returns  the owner before the change, or false when there was none.
local previous_owner = redis.call('HGET', KEYS[1], 'owner')
local time = redis.call('TIME')
local now = time[1] .. '.' .. string.format('%06d', tonumber(time[2]))
redis.call('HSETNX', KEYS[1], 'created_at', now)
for i = 2, #ARGV, 2 do
    if ARGV[i + 1] == '' then
        redis.call('HDEL', KEYS[1], ARGV[i])
    else
        redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    end
end
local ttl = tonumber(ARGV[1])
if ttl > 0 then
    redis.call('EXPIRE', KEYS[1], ttl)
end
return previous_owner
