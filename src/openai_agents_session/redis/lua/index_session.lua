-- Put a session in its owner's index, which lives as long as its longest-lived session.
-- KEYS[1]  the owner's index of sessions (a sorted set scored by updated_at)
-- ARGV[1]  the session id
-- ARGV[2]  the session's time to live in seconds; 0 for none
-- ARGV[3]  the score (unix seconds); "" for the server's time
-- Returns  1
local score = ARGV[3]
if score == '' then
    local time = redis.call('TIME')
    score = tonumber(time[1]) + tonumber(time[2]) / 1000000
end
local ttl = tonumber(ARGV[2])
local index_ttl = redis.call('PTTL', KEYS[1])
redis.call('ZADD', KEYS[1], score, ARGV[1])
if ttl == 0 then
    redis.call('PERSIST', KEYS[1])
elseif index_ttl == -2 or (index_ttl >= 0 and index_ttl < ttl * 1000) then
    redis.call('EXPIRE', KEYS[1], ttl)
end
return 1
