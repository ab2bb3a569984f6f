"""Redis state: what a fleet of gateway processes shares.

Keys are namespaced `modelgate:{kind}:...` so one Redis can host other data,
and every key that can grow with traffic carries a TTL (EX/PX), so Redis frees
it without a sweeper: conversations and cache entries by their TTL, a token
bucket once it would be full again (a missing bucket is a full one), a usage hour
after the retention (`usage_backends`). Keys made by the admin API have none: there
are at most `keys.MAX_KEYS` of them (`keys_backends`).

The token bucket is one Lua script (read, refill, take, write, expire) run
atomically by Redis against the server's own clock (`TIME`), so gateways with
skewed clocks still share one consistent bucket.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import RedisError

from modelgate.state import conversations as conv
from modelgate.state.counters import check_bucket
from modelgate.state.errors import StateUnavailableError
from modelgate.state.guard import Bounds, Guard
from modelgate.v1 import content_pb2

RETRIES = 1
"""A client built from a URL does not retry at all, so the first call after Redis
restarted or failed over would fail on its stale pooled connection; one quick retry
on a fresh connection covers that. A hung Redis is bounded by the guard, not by
socket timeouts: its operation timeout covers the retry and the reconnect too."""

_BUCKET_LUA = """
local cost, rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local level = burst
if state[1] then
  local elapsed = math.max(0, now - tonumber(state[2]))
  level = math.min(burst, tonumber(state[1]) + elapsed * rate)
end
local wait = 0
if level >= cost or ARGV[4] == 'debit' then level = level - cost
else wait = (cost - level) / rate end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', level),
           'stamp', string.format('%.17g', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - level) / rate * 1000) + 1000)
return string.format('%.17g', wait)
"""


def redact(url: str) -> str:
    """The URL without user name or password, for messages and logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


class RedisBackend:
    """The shared client and its guard, closed when the last store using it closes."""

    def __init__(
        self,
        client: aioredis.Redis,
        url: str,
        namespace: str = "modelgate",
        bounds: Bounds | None = None,
    ) -> None:
        self.client = client
        self.url = redact(url)
        self.namespace = namespace
        self.guard = Guard(
            "redis", f"Redis state at {self.url}", (RedisError, OSError), bounds or Bounds()
        )
        self._users = 0

    @classmethod
    async def open(
        cls, url: str, namespace: str = "modelgate", bounds: Bounds | None = None
    ) -> RedisBackend:
        """Connect and PING within the connect timeout, so a wrong URL or a hung Redis
        fails start-up at once rather than on a call."""
        bounds = bounds or Bounds()
        client = aioredis.Redis.from_url(
            url,
            socket_connect_timeout=bounds.connect_timeout,
            retry=Retry(ExponentialWithJitterBackoff(cap=0.1, base=0.01), RETRIES),
        )
        backend = cls(client, url, namespace, bounds)
        try:
            await backend.guard.bounded(client.ping, bounds.connect_timeout)
        except StateUnavailableError:
            await client.aclose()
            raise
        return backend

    def key(self, kind: str, name: str) -> str:
        """`{namespace}:{kind}:{name}`."""
        return f"{self.namespace}:{kind}:{name}"

    def retain(self) -> None:
        """Count one more store using the client."""
        self._users += 1

    async def release(self) -> None:
        """One store is done; the last one closes the client's connections."""
        self._users -= 1
        if self._users == 0:
            await self.guard.bounded(self.client.aclose, self.guard.bounds.operation_timeout)


class _Store:
    """Retains the backend on creation, releases it once on `aclose`."""

    def __init__(self, backend: RedisBackend) -> None:
        self.backend = backend
        self.client = backend.client
        self.guard = backend.guard
        self._open = True
        backend.retain()

    async def aclose(self) -> None:
        """Release this store's hold on the shared client (idempotent)."""
        if self._open:
            self._open = False
            await self.backend.release()

    async def _transaction(self, queue: Callable[[Pipeline], None]) -> list[Any]:
        """Run the commands `queue(pipe)` adds in one MULTI/EXEC, within the guard."""

        async def run() -> list[Any]:
            async with self.client.pipeline(transaction=True) as pipe:
                queue(pipe)
                result: list[Any] = await pipe.execute()
                return result

        return await self.guard.call(run)


class RedisConversationStore(_Store):
    """One hash per conversation (`owner`, `history`) expiring with PEXPIRE."""

    def __init__(
        self,
        backend: RedisBackend,
        ttl_seconds: float = conv.DEFAULT_TTL_SECONDS,
        max_history: int = conv.DEFAULT_MAX_HISTORY,
    ) -> None:
        conv.check_settings(ttl_seconds, max_history)
        super().__init__(backend)
        self.ttl_seconds = ttl_seconds
        self.max_history = max_history

    async def save(
        self,
        response_id: str,
        owner: str,
        messages: Sequence[content_pb2.Message],
        model: str,
        *,
        conversation_id: str = "",
    ) -> None:
        """Write owner and history and set the TTL in one MULTI/EXEC."""
        conv.check_ids(response_id)
        history = conv.encode_history(
            model, conv.trim_history(messages, self.max_history), conversation_id or response_id
        )
        key = self.backend.key("conv", response_id)

        def queue(pipe: Pipeline) -> None:
            pipe.hset(key, mapping={"owner": owner, "history": history})
            pipe.pexpire(key, max(1, math.ceil(self.ttl_seconds * 1000)))

        await self._transaction(queue)

    async def load(self, response_id: str, owner: str) -> conv.Conversation | None:
        """The conversation when it exists (Redis drops expired keys) and belongs to `owner`."""
        key = self.backend.key("conv", response_id)
        stored_owner, history = await self.guard.call(
            lambda: self.client.hmget(key, ["owner", "history"])
        )
        if not isinstance(history, bytes) or stored_owner != owner.encode():
            return None
        return conv.decode_history(history, response_id)


class RedisResponseCache(_Store):
    """Plain string values with PX; size is Redis' job (`maxmemory` + an LRU policy)."""

    async def get(self, key: str) -> bytes | None:
        """The value when present."""
        name = self.backend.key("cache", key)
        value = await self.guard.call(lambda: self.client.get(name))
        return value if isinstance(value, bytes) or value is None else value.encode()

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """SET with PX (at least 1 ms); `ttl <= 0` deletes, as Redis rejects PX 0."""
        name = self.backend.key("cache", key)
        if ttl <= 0:
            await self.guard.call(lambda: self.client.delete(name))
        else:
            px = max(1, math.ceil(ttl * 1000))
            await self.guard.call(lambda: self.client.set(name, value, px=px))


class RedisRateLimiter(_Store):
    """Token buckets as hashes updated by one atomic Lua script."""

    def __init__(self, backend: RedisBackend) -> None:
        super().__init__(backend)
        self._script = self.client.register_script(_BUCKET_LUA)

    async def acquire(self, key: str, cost: float, rate_per_s: float, burst: float) -> float:
        """See `RateLimiter.acquire`; runs EVALSHA (EVAL once after a script flush)."""
        check_bucket(cost, rate_per_s, burst)
        if cost > burst:
            return math.inf
        return await self._run(key, cost, rate_per_s, burst, "take")

    async def debit(self, key: str, cost: float, rate_per_s: float, burst: float) -> None:
        """See `RateLimiter.debit`: the same script, told to take whatever the level."""
        check_bucket(cost, rate_per_s, burst)
        await self._run(key, cost, rate_per_s, burst, "debit")

    async def _run(
        self, key: str, cost: float, rate_per_s: float, burst: float, mode: str
    ) -> float:
        keys = [self.backend.key("rate", key)]
        args = [repr(cost), repr(rate_per_s), repr(burst), mode]
        wait = await self.guard.call(lambda: self._script(keys=keys, args=args))
        return float(wait)
