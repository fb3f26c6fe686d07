-- Delete a session's list and companion hash, refusing to delete a key of another type.
-- KEYS[1]  the session's list
-- KEYS[2]  the session's companion hash
-- KEYS[3]  optional: the owner's index of sessions
-- ARGV[1]  the session id, removed from KEYS[3]
-- Returns  1 when the list was deleted, 0 when there was none;
--          a "WRONGTYPE <type>" error, touching nothing, when the key is not a list.
local key_type = redis.call('TYPE', KEYS[1])['ok']
if key_type ~= 'none' and key_type ~= 'list' then
    return redis.error_reply('WRONGTYPE ' .. key_type)
end
redis.call('DEL', KEYS[2])
if KEYS[3] then
    redis.call('ZREM', KEYS[3], ARGV[1])
end
if key_type == 'none' then
    return 0
end
return redis.call('DEL', KEYS[1])
