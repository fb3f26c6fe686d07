-- Delete a session's list and its batch ids, refusing to delete a key of another type.
-- KEYS[1]  the session's list key
-- KEYS[2]  the session's batch ids
-- Returns  1 when the list was deleted, 0 when there was none;
--          a "WRONGTYPE <type>" error, touching nothing, when the key is not a list.
local key_type = redis.call('TYPE', KEYS[1])['ok']
if key_type ~= 'none' and key_type ~= 'list' then
    return redis.error_reply('WRONGTYPE ' .. key_type)
end
redis.call('DEL', KEYS[2])
if key_type == 'none' then
    return 0
end
return redis.call('DEL', KEYS[1])
