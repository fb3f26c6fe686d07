-- Pop a session's newest item; the companion hash goes with the last one.
-- KEYS[1]  the session's list
-- KEYS[2]  the session's companion hash
-- KEYS[3]  optional: the owner's index of sessions
-- ARGV[1]  with KEYS[3] only: the session id, the member of the index
-- Returns  the popped payload, or false when the list was empty.
local item = redis.call('RPOP', KEYS[1])
if item and redis.call('EXISTS', KEYS[1]) == 0 then
    redis.call('DEL', KEYS[2])
    if KEYS[3] then
        redis.call('ZREM', KEYS[3], ARGV[1])
    end
end
return item
