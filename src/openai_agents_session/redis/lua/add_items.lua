-- Append a batch to a session's list, at most once, and keep its companions up to date.
-- KEYS[1]  the session's list
-- KEYS[2]  the session's recent batch ids (a list, newest first)
-- KEYS[3]  the session's metadata (a hash: created_at, updated_at, and user fields)
-- KEYS[4]  optional: the owner's index of sessions (a sorted set scored by updated_at)
-- ARGV[1]  the session's time to live in seconds; 0 leaves expiries as they are
-- ARGV[2]  the batch id; a batch id already in KEYS[2] is not applied again
-- ARGV[3]  the most items the list keeps (the oldest are trimmed); 0 keeps everything
-- ARGV[4]  the session id, the member of KEYS[4]
-- ARGV[5]  the session's owner, recorded in KEYS[3]; empty when it has none
-- ARGV[6..] the encoded items, oldest first
-- Returns  {1, length} when the batch was appended, {0, length} when it had been already.
-- A list key of another type fails the first RPUSH with WRONGTYPE before anything is
-- written, so the foreign key and its expiry stay untouched.
local list_key, batches_key, meta_key, index_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local ttl = tonumber(ARGV[1])
local batch_id = ARGV[2]
local max_items = tonumber(ARGV[3])
local first_item = 6
-- Batch ids are remembered long enough for any retry, and few enough to stay tiny.
local BATCH_MEMORY_S = 600
local BATCH_MEMORY_COUNT = 128
if redis.call('LPOS', batches_key, batch_id) then
    return {0, redis.call('LLEN', list_key)}
end

local length = 0
-- unpack() is bounded by Lua's C stack: push in chunks.
local chunk = 1000
for first = first_item, #ARGV, chunk do
    length = redis.call('RPUSH', list_key, unpack(ARGV, first, math.min(first + chunk - 1, #ARGV)))
end
local is_new_list = length == #ARGV - first_item + 1

if max_items > 0 and length > max_items then
    -- Never keep a tool output as the oldest item: its call is gone, and the Responses API
    -- rejects an output without its call.
    local start = length - max_items
    while start < length do
        local ok, item = pcall(cjson.decode, redis.call('LINDEX', list_key, start))
        local kind = ok and type(item) == 'table' and item['type']
        if type(kind) ~= 'string' or string.sub(kind, -7) ~= '_output' then
            break
        end
        start = start + 1
    end
    redis.call('LTRIM', list_key, start, -1)
    length = length - start
end

local time = redis.call('TIME')
local now = time[1] .. '.' .. string.format('%06d', tonumber(time[2]))
if is_new_list then
    -- A new list: a new session, unless metadata was kept (created_at is never overwritten).
    redis.call('HSETNX', meta_key, 'created_at', now)
end
if ARGV[5] ~= '' then
    redis.call('HSET', meta_key, 'updated_at', now, 'owner', ARGV[5])
else
    redis.call('HSET', meta_key, 'updated_at', now)
end
if index_key then
    redis.call('ZADD', index_key, now, ARGV[4])
end

if redis.call('LPUSH', batches_key, batch_id) > BATCH_MEMORY_COUNT then
    redis.call('LTRIM', batches_key, 0, BATCH_MEMORY_COUNT - 1)
end
local remember = BATCH_MEMORY_S
if ttl > 0 then
    redis.call('EXPIRE', list_key, ttl)
    redis.call('EXPIRE', meta_key, ttl)
    if index_key then
        redis.call('EXPIRE', index_key, ttl)
    end
    if ttl < remember then
        remember = ttl
    end
end
redis.call('EXPIRE', batches_key, remember)
return {1, length}
