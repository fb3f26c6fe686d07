-- Append a batch to a session (or replace its history with it), at most once per batch id,
-- and keep its metadata, expiry and owner's index up to date.
-- KEYS[1]  the session's list
-- KEYS[2]  the session's companion hash: u (updated, µs), c (created, µs; absent while it
--          equals u, which saves memory in every one-turn session), b (recent batch ids, one
--          "<unix seconds>\t<id>\n" line each, oldest first), and user fields
-- KEYS[3]  optional: the owner's index of sessions (a sorted set scored by updated_at)
-- ARGV[1]  the session's time to live in seconds; 0 leaves expiries as they are
-- ARGV[2]  the most items the list keeps (the oldest are trimmed); 0 keeps everything
-- ARGV[3]  "r" to replace the whole history with the batch, "a" to append it
-- ARGV[4]  the owner recorded in the hash, or ""
-- ARGV[5]  the batch id; one found in b is not applied again
-- ARGV[6]  with KEYS[3] only: the session id, the member of the index
-- ARGV[..] the encoded items, oldest first
-- Returns  the list's length after the batch, or -1 when the batch id had been applied.
-- Appending to a key of another type fails the first RPUSH with WRONGTYPE before anything is
-- written; replacing checks the type first. Either way the foreign key stays untouched.
local list_key, meta_key, index_key = KEYS[1], KEYS[2], KEYS[3]
local ttl = tonumber(ARGV[1])
local max_items = tonumber(ARGV[2])
local owner = ARGV[4]
local batch_id = ARGV[5]
local first_item = index_key and 7 or 6
-- Batch ids are remembered for ten minutes, in at most this many bytes of the hash.
local BATCH_MEMORY_S = 600
local BATCH_MEMORY_BYTES = 4096

local seen = redis.call('HMGET', meta_key, 'b', 'u', 'c')
local batches = seen[1]
if batches and string.find(batches, '\t' .. batch_id .. '\n', 1, true) then
    return -1
end

if ARGV[3] == 'r' then
    local key_type = redis.call('TYPE', list_key)['ok']
    if key_type ~= 'none' and key_type ~= 'list' then
        return redis.error_reply('WRONGTYPE Operation against a key holding the wrong kind of value')
    end
    redis.call('DEL', list_key)
    if #ARGV < first_item then
        -- Nothing to keep: a replacement by no items is a clear.
        redis.call('DEL', meta_key)
        if index_key then
            redis.call('ZREM', index_key, ARGV[6])
        end
        return 0
    end
end

local length = 0
-- unpack() is bounded by Lua's C stack: push in chunks.
local chunk = 1000
for first = first_item, #ARGV, chunk do
    length = redis.call('RPUSH', list_key, unpack(ARGV, first, math.min(first + chunk - 1, #ARGV)))
end

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
local seconds = tonumber(time[1])
local now = time[1] .. string.format('%06d', tonumber(time[2]))
local entry = time[1] .. '\t' .. batch_id .. '\n'
if batches then
    -- Forget the ids older than the window, then the oldest beyond the byte budget.
    local start = 1
    local cutoff = seconds - BATCH_MEMORY_S
    while start <= #batches do
        local tab = string.find(batches, '\t', start, true)
        if tonumber(string.sub(batches, start, tab - 1)) >= cutoff then
            break
        end
        start = string.find(batches, '\n', tab, true) + 1
    end
    batches = string.sub(batches, start) .. entry
    if #batches > BATCH_MEMORY_BYTES then
        batches = string.sub(batches, string.find(batches, '\n', #batches - BATCH_MEMORY_BYTES, true) + 1)
    end
else
    batches = entry
end

local fields = {'u', now, 'b', batches}
if seen[2] and not seen[3] then
    -- created_at was left out as equal to updated_at: it is the previous u.
    fields[#fields + 1] = 'c'
    fields[#fields + 1] = seen[2]
end
if owner ~= '' then
    fields[#fields + 1] = 'owner'
    fields[#fields + 1] = owner
end
redis.call('HSET', meta_key, unpack(fields))

if ttl > 0 then
    redis.call('EXPIRE', list_key, ttl)
    redis.call('EXPIRE', meta_key, ttl)
end

if index_key then
    -- The index lives as long as its longest-lived session: extended, never shortened.
    local index_ttl = redis.call('PTTL', index_key)
    redis.call('ZADD', index_key, seconds + tonumber(time[2]) / 1000000, ARGV[6])
    if ttl == 0 then
        redis.call('PERSIST', index_key)
    elseif index_ttl == -2 or (index_ttl >= 0 and index_ttl < ttl * 1000) then
        redis.call('EXPIRE', index_key, ttl)
    end
end
return length
