-- Delete a session's list, refusing to delete a key of another type.
-- KEYS[1]  the session's list key
-- Returns  1 when the list was deleted, 0 when there was none;
--          a "WRONGTYPE <type>" error, touching nothing, when the key is not a list.
local key_type = redis.call('TYPE', KEYS[1])['ok']
if key_type == 'none' then
    return 0
end
if key_type ~= 'list' then
    return redis.error_reply('WRONGTYPE ' .. key_type)
end
return redis.call('DEL', KEYS[1])
