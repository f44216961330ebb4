-- sigseen.lua - record that a transaction carried a verified signature.
-- KEYS[1] mailseal:sig:{<id>}    hash: first, last
-- KEYS[2] mailseal:sigtx:{<id>}  HyperLogLog of transaction ids
-- ARGV[1] transaction id, ARGV[2] now (unix), ARGV[3] ttl (seconds)
-- Returns { distinct transactions, first seen }.
-- The same script is embedded in common/farm/farmcache.c.
redis.call('PFADD', KEYS[2], ARGV[1])
redis.call('HSETNX', KEYS[1], 'first', ARGV[2])
redis.call('HSET', KEYS[1], 'last', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return {redis.call('PFCOUNT', KEYS[2]), redis.call('HGET', KEYS[1], 'first')}
