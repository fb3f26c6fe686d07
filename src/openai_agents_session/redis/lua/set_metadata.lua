-- Set user fields of a session's companion hash, keeping its timestamps and expiry.
-- KEYS[1]  the session's companion hash
-- KEYS[2]  the session's list, whose expiry a new hash takes
-- ARGV[1]  the session's time to live in seconds; 0 for none
-- ARGV[2..] field, value, field, value, ...; an empty value deletes the field
-- Returns  the owner before the change, or false when there was none.
local previous_owner, created, updated = unpack(redis.call('HMGET', KEYS[1], 'owner', 'c', 'u'))
if not created then
    -- An append leaves c out while it equals u: then u is when the session was created.
    if updated then
        redis.call('HSET', KEYS[1], 'c', updated)
    else
        local time = redis.call('TIME')
        redis.call('HSET', KEYS[1], 'c', time[1] .. string.format('%06d', tonumber(time[2])))
    end
end
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
else
    -- A session without a TTL of its own: the hash expires with the list, if the list does.
    local list_ttl = redis.call('PTTL', KEYS[2])
    if list_ttl > 0 then
        redis.call('PEXPIRE', KEYS[1], list_ttl)
    end
end
return previous_owner
