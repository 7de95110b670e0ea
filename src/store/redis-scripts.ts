// The Lua scripts of the redis:// store (each multi-key step runs atomically as one script) and
// their SHA-1s, by which the store calls them (EVALSHA, loading the script on NOSCRIPT).
import { createHash } from "node:crypto";

/** The batch script's answer: {0}, or {1, per append {seq, owner, earlier ids}, per taken item {queue, id, group, payload, owner}}. */
export type BatchReply =
  | [0]
  | [1, Array<[number, string, Array<string | number>]>, Array<[string, string, string, string, string]>];

// Key layout under the prefix P: P.."kv:"..key (JSON text), P.."seq" (the global append counter),
// P.."q:"..queue (sorted set of item ids scored by seq), P.."g:"..#queue..":"..queue..":"..group
// (the same for one group), P.."item:"..queue..":"..id (hash of grp, payload, owner),
// P.."lease:"..owner (exists while the lease lives). An item's id is its seq as text.

// What both scripts share: whether an owner's lease lives (asked once per script run), and a group's
// items with their holders.
const COMMON = `
local P = ARGV[1]
local live = {}
local function lives(holder)
  if not holder then return false end
  if live[holder] == nil then live[holder] = redis.call('EXISTS', P .. 'lease:' .. holder) == 1 end
  return live[holder]
end
local function group_key(queue, grp) return P .. 'g:' .. #queue .. ':' .. queue .. ':' .. grp end
local function members(queue, grp)
  local out = {}
  for _, id in ipairs(redis.call('ZRANGE', group_key(queue, grp), 0, -1)) do
    local key = P .. 'item:' .. queue .. ':' .. id
    local fields = redis.call('HMGET', key, 'grp', 'owner')
    if fields[1] then table.insert(out, {id, key, fields[2]}) end
  end
  return out
end
`;

// ARGV[1] prefix, ARGV[2] the ops as JSON (values already JSON text in `data`). Checks every claim
// first and writes nothing when one is taken; returns {0}, or {1, appended, taken} where each
// appended entry is {seq, owner or '', earlier ids} and each taken one {queue, id, grp, payload, owner}.
export const BATCH = `${COMMON}
local ops = cjson.decode(ARGV[2])
for _, op in ipairs(ops) do
  if op.op == 'claim' and redis.call('EXISTS', P .. 'kv:' .. op.key) == 1 then return {0} end
end
local appended, taken = {}, {}
for _, op in ipairs(ops) do
  if op.op == 'set' or op.op == 'claim' then
    if op.ttl then
      redis.call('SET', P .. 'kv:' .. op.key, op.data, 'PX', op.ttl)
    else
      redis.call('SET', P .. 'kv:' .. op.key, op.data)
    end
  elseif op.op == 'delete' then
    redis.call('DEL', P .. 'kv:' .. op.key)
  elseif op.op == 'append' then
    local seq = redis.call('INCR', P .. 'seq')
    local id = tostring(seq)
    local owner = op.owner
    local earlier = {}
    if op.join and owner then
      local items = members(op.queue, op.group)
      local holder = owner
      for _, m in ipairs(items) do
        if lives(m[3]) then holder = m[3]; break end
      end
      for _, m in ipairs(items) do
        if holder == owner and not lives(m[3]) then
          redis.call('HSET', m[2], 'owner', owner)
          m[3] = owner
        end
        if m[3] == holder then table.insert(earlier, m[1]) end
      end
      owner = holder
    end
    local item = P .. 'item:' .. op.queue .. ':' .. id
    redis.call('HSET', item, 'grp', op.group, 'payload', op.data)
    if owner then redis.call('HSET', item, 'owner', owner) end
    redis.call('ZADD', P .. 'q:' .. op.queue, seq, id)
    redis.call('ZADD', group_key(op.queue, op.group), seq, id)
    table.insert(appended, {seq, owner or '', earlier})
  elseif op.op == 'take' then
    local items = members(op.queue, op.group)
    local other = false
    for _, m in ipairs(items) do
      if m[3] and m[3] ~= op.owner and lives(m[3]) then other = true end
    end
    if not other then
      for _, m in ipairs(items) do
        redis.call('HSET', m[2], 'owner', op.owner)
        table.insert(taken, {op.queue, m[1], op.group, redis.call('HGET', m[2], 'payload'), op.owner})
      end
    end
  elseif op.op == 'update' then
    local item = P .. 'item:' .. op.queue .. ':' .. op.id
    if redis.call('EXISTS', item) == 1 then redis.call('HSET', item, 'payload', op.data) end
  elseif op.op == 'ack' then
    local item = P .. 'item:' .. op.queue .. ':' .. op.id
    local grp = redis.call('HGET', item, 'grp')
    redis.call('DEL', item)
    redis.call('ZREM', P .. 'q:' .. op.queue, op.id)
    if grp then redis.call('ZREM', group_key(op.queue, grp), op.id) end
  end
end
return {1, appended, taken}
`;

// ARGV: prefix, queue, claimant, limit (-1 for all), "1" to include the claimant's own. Walks the
// queue oldest first and takes items no live lease holds, leaving alone every group of which another
// live process holds an item (it answers that conversation, in order). Returns a flat list: id,
// seq, grp, payload for each item taken.
export const CLAIM = `${COMMON}
local queue, owner, limit, own = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5] == '1'
local entries = redis.call('ZRANGE', P .. 'q:' .. queue, 0, -1, 'WITHSCORES')
local blocked, found, out, taken = {}, {}, {}, 0
for i = 1, #entries, 2 do
  local fields = redis.call('HMGET', P .. 'item:' .. queue .. ':' .. entries[i], 'grp', 'owner')
  found[i] = fields
  if fields[1] and fields[2] and fields[2] ~= owner and lives(fields[2]) then blocked[fields[1]] = true end
end
for i = 1, #entries, 2 do
  if limit >= 0 and taken >= limit then break end
  local id = entries[i]
  local item = P .. 'item:' .. queue .. ':' .. id
  local grp, holder = found[i][1], found[i][2]
  if grp and not blocked[grp] then
    local held = lives(holder)
    if own and holder == owner then held = false end
    if not held then
      redis.call('HSET', item, 'owner', owner)
      redis.call('ZADD', group_key(queue, grp), entries[i + 1], id)
      table.insert(out, id)
      table.insert(out, entries[i + 1])
      table.insert(out, grp)
      table.insert(out, redis.call('HGET', item, 'payload'))
      taken = taken + 1
    end
  end
end
return out
`;

// A budget window as two sorted sets: KEYS[1] the slots whose call finished, scored by when it did,
// and KEYS[2] those whose call still runs, scored by when they were taken (Redis's clock).
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

// Takes a ticket and the calls its process said wait behind it out of a waiting line's two sets.
const LEAVE = `
local function leave(by_since, by_until, ticket)
  redis.call('ZREM', by_since, ticket)
  redis.call('ZREM', by_until, ticket)
  local i = 1
  while redis.call('ZREM', by_since, ticket .. '#' .. i) == 1 do
    redis.call('ZREM', by_until, ticket .. '#' .. i)
    i = i + 1
  end
end
`;

// KEYS[3] and KEYS[4] are the window's waiting line: each ticket scored by since when its call
// waited, and by until when its holder may come back for a slot (then it is dropped); the calls a
// process said wait behind its ticket stand there too, as <ticket>#1, #2 … A ticket takes a free
// slot only while fewer older entries wait than slots are free; otherwise it waits until a slot
// could free after they took theirs, at most the grace time.
// ARGV: span ms, limit, member, longest flight ms, ticket id ('' for none), its since, grace ms,
// then the sinces of the calls behind it.
// Returns {1, slots left} when taken, else {0, ms until the caller may ask again}.
export const TAKE_SLOT = `${NOW}${LEAVE}
local span, limit, flight = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - span)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - flight)
local done = redis.call('ZCARD', KEYS[1])
local count = done + redis.call('ZCARD', KEYS[2])
-- How long until the window has room once \`over\` + 1 more slots have left it.
local function slot_wait(over)
  if over >= done then return span end
  local blocker = redis.call('ZRANGE', KEYS[1], over, over, 'WITHSCORES')
  return math.max(1, tonumber(blocker[2]) + span - now)
end
local wait = 0
if count >= limit then wait = slot_wait(count - limit) end
local ticket = ARGV[5]
if ticket ~= '' then
  local grace = tonumber(ARGV[7])
  for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now)) do
    redis.call('ZREM', KEYS[3], gone)
    redis.call('ZREM', KEYS[4], gone)
  end
  leave(KEYS[3], KEYS[4], ticket)
  redis.call('ZADD', KEYS[3], ARGV[6], ticket)
  local ahead = redis.call('ZRANK', KEYS[3], ticket)
  if wait == 0 and ahead >= limit - count then wait = math.min(slot_wait(count + ahead - limit), grace) end
  local expires = now + wait + grace
  if wait == 0 then
    redis.call('ZREM', KEYS[3], ticket)
  else
    redis.call('ZADD', KEYS[4], expires, ticket)
  end
  for i = 8, #ARGV do
    redis.call('ZADD', KEYS[3], ARGV[i], ticket .. '#' .. (i - 7))
    redis.call('ZADD', KEYS[4], expires, ticket .. '#' .. (i - 7))
  end
  local last = redis.call('ZRANGE', KEYS[4], -1, -1, 'WITHSCORES')
  if #last > 0 then
    local ttl = math.max(1, tonumber(last[2]) - now)
    redis.call('PEXPIRE', KEYS[3], ttl)
    redis.call('PEXPIRE', KEYS[4], ttl)
  end
end
if wait > 0 then return {0, wait} end
redis.call('ZADD', KEYS[2], now, ARGV[3])
redis.call('PEXPIRE', KEYS[2], flight)
return {1, limit - count - 1}
`;

// KEYS[1], KEYS[2]: the waiting line's two sorted sets; ARGV[1] the ticket that leaves it.
export const LEAVE_LINE = `${LEAVE}
leave(KEYS[1], KEYS[2], ARGV[1])
return 0
`;

// ARGV: member, span ms. The call finished now: the slot counts a span from now.
export const FINISH_SLOT = `${NOW}
if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 or redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
end
return 0
`;

// ARGV: span ms, longest flight ms. The times of the slots that count now, both kinds.
export const LIST_SLOTS = `${NOW}
local out = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - tonumber(ARGV[1])), '+inf', 'WITHSCORES')
for _, v in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. (now - tonumber(ARGV[2])), '+inf', 'WITHSCORES')) do
  table.insert(out, v)
end
return out
`;

// A named lock is P.."lock:"..name holding its owner, expiring with PX. KEYS[1] the lock; ARGV: owner,
// ttl ms. Takes a free lock or renews one the owner holds; returns 1 when the owner holds it after.
export const HOLD_LOCK = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
return 1
`;

// KEYS[1] the lock; ARGV[1] owner. Deletes it only while that owner holds it.
export const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`;

const shas = new Map<string, string>();
export function sha1(source: string): string {
  let sha = shas.get(source);
  if (!sha) {
    sha = createHash("sha1").update(source).digest("hex");
    shas.set(source, sha);
  }
  return sha;
}
