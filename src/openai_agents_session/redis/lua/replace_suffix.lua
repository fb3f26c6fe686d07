-- Replace a session's newest items with others, only while they are still the expected ones.
-- KEYS[1]  the session's list
-- KEYS[2]  the session's companion hash
-- ARGV[1]  the session's time to live in seconds; 0 leaves expiries as they are
-- ARGV[2]  n, how many newest items are expected (>= 1)
-- ARGV[3 .. 2+n]  the expected payloads, oldest first
-- ARGV[3+n ..]    the payloads that replace them, oldest first
-- Returns  1 when replaced; 0 when the newest items are not the expected ones (nothing changed).
local n = tonumber(ARGV[2])
local key_type = redis.call('TYPE', KEYS[1])['ok']
if key_type ~= 'list' then
    return 0
end
local tail = redis.call('LRANGE', KEYS[1], -n, -1)
if #tail ~= n then
    return 0
end
for i = 1, n do
    if tail[i] ~= ARGV[2 + i] then
        return 0
    end
end
redis.call('LTRIM', KEYS[1], 0, -(n + 1))
local first = 3 + n
-- unpack() is bounded by Lua's C stack: push in chunks.
for start = first, #ARGV, 1000 do
    redis.call('RPUSH', KEYS[1], unpack(ARGV, start, math.min(start + 999, #ARGV)))
end
if redis.call('EXISTS', KEYS[1]) == 0 then
    -- Everything was replaced by nothing: the session is gone, and its companion with it.
    redis.call('DEL', KEYS[2])
    return 1
end
local time = redis.call('TIME')
redis.call('HSET', KEYS[2], 'u', time[1] .. string.format('%06d', tonumber(time[2])))
local ttl = tonumber(ARGV[1])
if ttl > 0 then
    redis.call('EXPIRE', KEYS[1], ttl)
    redis.call('EXPIRE', KEYS[2], ttl)
end
return 1
