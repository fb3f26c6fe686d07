-- Read a session's newest items and its length in one atomic step.
-- KEYS[1]  the session's list
-- ARGV[1]  how many of the newest items to read (>= 1)
-- Returns  {length, {payload, ...}} with the payloads oldest first.
return {redis.call('LLEN', KEYS[1]), redis.call('LRANGE', KEYS[1], -tonumber(ARGV[1]), -1)}
