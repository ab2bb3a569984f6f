"""Budget counters in Redis: one budget for the whole fleet.

Each (key, window) counter is one hash, `{ns}:budget:{<key id>}:<window>`: fields
`nanos` and `tokens` (spent), and one `h:<hold id>` field per reservation in flight
(`"<nanos> <tokens> <until>"`). Reserve and settle are each one Lua script over all of
a key's counters, so the admission rule (`state.budgets`) is one atomic step across
every replica; the key id in braces puts a key's counters in one cluster slot. A
day or month counter expires a day after its period ends (EXPIREAT), so Redis frees
it without a sweeper; a total one lives on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from redis.asyncio.client import Pipeline

from modelgate.state.budgets import Exhausted, Line, Reservation, Spend
from modelgate.state.redis import RedisBackend, _Store

_RESERVE_LUA = """
local hold, now = ARGV[1], tonumber(ARGV[4])
for i, key in ipairs(KEYS) do
  local base = 5 + (i - 1) * 3
  local max_nanos, max_tokens = tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2])
  local flat = redis.call('HGETALL', key)
  local spent_n, spent_t, held_n, held_t = 0, 0, 0, 0
  for j = 1, #flat, 2 do
    local f, v = flat[j], flat[j + 1]
    if f == 'nanos' then spent_n = tonumber(v)
    elseif f == 'tokens' then spent_t = tonumber(v)
    elseif string.sub(f, 1, 2) == 'h:' then
      local n, t, u = string.match(v, '^(%S+) (%S+) (%S+)$')
      if tonumber(u) <= now then redis.call('HDEL', key, f)
      else held_n = held_n + tonumber(n); held_t = held_t + tonumber(t) end
    end
  end
  if max_nanos > 0 and spent_n + held_n >= max_nanos then
    return {i - 1, 'usd', spent_n >= max_nanos and 1 or 0}
  end
  if max_tokens > 0 and spent_t + held_t >= max_tokens then
    return {i - 1, 'tokens', spent_t >= max_tokens and 1 or 0}
  end
end
local value = ARGV[2] .. ' ' .. ARGV[3] .. ' ' .. ARGV[5]
for i, key in ipairs(KEYS) do
  redis.call('HSET', key, 'h:' .. hold, value)
  local expire_at = tonumber(ARGV[5 + (i - 1) * 3 + 3])
  if expire_at > 0 then redis.call('EXPIREAT', key, expire_at) end
end
return false
"""
"""KEYS: the counters. ARGV: hold id, estimate nanos, estimate tokens, now, hold until,
then per counter: max nanos, max tokens, expire-at (0: never)."""

_SETTLE_LUA = """
for i, key in ipairs(KEYS) do
  redis.call('HDEL', key, 'h:' .. ARGV[1])
  redis.call('HINCRBY', key, 'nanos', ARGV[2])
  redis.call('HINCRBY', key, 'tokens', ARGV[3])
  local expire_at = tonumber(ARGV[3 + i])
  if expire_at > 0 then redis.call('EXPIREAT', key, expire_at) end
end
return 1
"""
"""KEYS: the counters. ARGV: hold id, spent nanos, spent tokens, then per counter its
expire-at (0: never)."""


def _expire_at(line: Line) -> str:
    return str(math.ceil(line.expires_at)) if line.expires_at else "0"


def _spend(flat: dict[bytes, bytes], now: float) -> Spend:
    held_nanos = held_tokens = 0
    for name, value in flat.items():
        if name.startswith(b"h:"):
            nanos, tokens, until = value.split()
            if float(until) > now:
                held_nanos += int(nanos)
                held_tokens += int(tokens)
    return Spend(int(flat.get(b"nanos", 0)), int(flat.get(b"tokens", 0)), held_nanos, held_tokens)


class RedisBudgetStore(_Store):
    """Counters as hashes, reserved and settled by Lua scripts."""

    def __init__(self, backend: RedisBackend) -> None:
        super().__init__(backend)
        self._reserve = self.client.register_script(_RESERVE_LUA)
        self._settle = self.client.register_script(_SETTLE_LUA)

    def _name(self, line: Line) -> str:
        return self.backend.key("budget", f"{{{line.key_id}}}:{line.window}")

    async def reserve(
        self, reservation: Reservation, now: float, hold_until: float
    ) -> Exhausted | None:
        """See `BudgetStore.reserve`: one EVALSHA."""
        lines = reservation.lines
        if not lines:
            return None
        keys = [self._name(line) for line in lines]
        args: list[Any] = [
            reservation.hold_id,
            str(reservation.estimate_nanos),
            str(reservation.estimate_tokens),
            repr(now),
            repr(hold_until),
        ]
        for line in lines:
            args += [str(line.max_nanos), str(line.max_tokens), _expire_at(line)]
        answer = await self.guard.call(lambda: self._reserve(keys=keys, args=args))
        if answer is None:
            return None
        index, unit, by_spend = answer
        unit = unit.decode() if isinstance(unit, bytes) else unit
        return Exhausted(int(index), unit, bool(by_spend))

    async def settle(self, reservation: Reservation, spent_nanos: int, tokens: int) -> None:
        """See `BudgetStore.settle`: one EVALSHA."""
        lines = reservation.lines
        if not lines:
            return
        keys = [self._name(line) for line in lines]
        args = [reservation.hold_id, str(spent_nanos), str(tokens)]
        args += [_expire_at(line) for line in lines]
        await self.guard.call(lambda: self._settle(keys=keys, args=args))

    async def read(self, lines: Sequence[Line], now: float) -> list[Spend]:
        """See `BudgetStore.read`: the counters in one MULTI/EXEC."""
        if not lines:
            return []
        names = [self._name(line) for line in lines]

        def queue(pipe: Pipeline) -> None:
            for name in names:
                pipe.hgetall(name)

        flats = await self._transaction(queue)
        return [_spend(flat, now) for flat in flats]
