-- Append a batch to a session's list and refresh its expiry, atomically and at most once.
-- KEYS[1]  the session's list key
-- KEYS[2]  the session's batch ids (a short list in the same slot): the recent batches applied
-- ARGV[1]  time to live of the session in seconds; 0 leaves the expiry as it is
-- ARGV[2]  the batch id; a batch id already in KEYS[2] is not applied again
-- ARGV[3]  how long, in seconds, batch ids are remembered at most (never longer than ARGV[1])
-- ARGV[4]  how many batch ids are remembered at most
-- ARGV[5..] the encoded items, oldest first
-- Returns  {1, length} when the batch was appended, {0, length} when it had been already.
-- A list key of another type fails the first RPUSH with WRONGTYPE before anything is written,
-- so the foreign key and its expiry stay untouched.
local list_key, batches_key = KEYS[1], KEYS[2]
local ttl = tonumber(ARGV[1])
local batch_id = ARGV[2]
if redis.call('LPOS', batches_key, batch_id) then
    return {0, redis.call('LLEN', list_key)}
end
local length = 0
-- unpack() is bounded by Lua's C stack: push in chunks.
local chunk = 1000
for first = 5, #ARGV, chunk do
    length = redis.call('RPUSH', list_key, unpack(ARGV, first, math.min(first + chunk - 1, #ARGV)))
end
if ttl > 0 then
    redis.call('EXPIRE', list_key, ttl)
end
redis.call('LPUSH', batches_key, batch_id)
redis.call('LTRIM', batches_key, 0, tonumber(ARGV[4]) - 1)
local remember = tonumber(ARGV[3])
if ttl > 0 and ttl < remember then
    remember = ttl
end
redis.call('EXPIRE', batches_key, remember)
return {1, length}
