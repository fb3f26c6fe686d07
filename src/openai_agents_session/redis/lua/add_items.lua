-- Append a batch to a session's list and refresh its expiry, atomically.
-- KEYS[1]  the session's list key
-- ARGV[1]  time to live in seconds; 0 leaves the expiry as it is
-- ARGV[2..] the encoded items, oldest first
-- Returns  the length of the list after the append.
-- A key of another type fails the first RPUSH with WRONGTYPE before anything is written,
-- so the foreign key and its expiry stay untouched.
local key = KEYS[1]
local ttl = tonumber(ARGV[1])
local length = 0
-- unpack() is bounded by Lua's C stack: push in chunks.
local chunk = 1000
for first = 2, #ARGV, chunk do
    length = redis.call('RPUSH', key, unpack(ARGV, first, math.min(first + chunk - 1, #ARGV)))
end
if ttl > 0 then
    redis.call('EXPIRE', key, ttl)
end
return length
