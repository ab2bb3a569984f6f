"""The key store on SQLite (one node) and Redis (the fleet); see `state.keys`.

Each write is one atomic step (a SQLite transaction, a Redis Lua script), so two
replicas creating the same id cannot both succeed, and every call runs within the
backend's guard (timeout and breaker), failing as `StateUnavailableError`.
"""

from __future__ import annotations

import sqlite3

from modelgate.admin.v1 import admin_pb2
from modelgate.state import redis as redis_state
from modelgate.state import sqlite as sqlite_state
from modelgate.state.keys import MAX_KEYS, KeyExistsError, KeyStoreFullError

_CREATED, _EXISTS, _FULL = 0, 1, 2

_CREATE_LUA = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 or redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1
then return 1 end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then return 2 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return 0
"""
_FIND_LUA = """
local id = redis.call('HGET', KEYS[2], ARGV[1])
if not id then return false end
return redis.call('HGET', KEYS[1], id)
"""
_REPLACE_LUA = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""


def _raise_for(outcome: int, key_id: str) -> None:
    if outcome == _EXISTS:
        raise KeyExistsError(key_id)
    if outcome == _FULL:
        raise KeyStoreFullError(key_id)


def _parsed(data: object) -> admin_pb2.ApiKey | None:
    return admin_pb2.ApiKey.FromString(data) if isinstance(data, bytes) else None


class SqliteKeyStore(sqlite_state._Store):
    """Table `api_keys (id, digest, key)`: the serialized proto and its secret's digest."""

    def __init__(self, db: sqlite_state.SqliteDb, max_keys: int = MAX_KEYS) -> None:
        super().__init__(db)
        self.max_keys = max_keys

    async def create(self, key: admin_pb2.ApiKey, digest: str) -> None:
        """See `KeyStore.create`."""

        def write(c: sqlite3.Connection) -> int:
            taken = c.execute(
                "SELECT 1 FROM api_keys WHERE id = ? OR digest = ?", (key.id, digest)
            ).fetchone()
            if taken:
                return _EXISTS
            if c.execute("SELECT count(*) FROM api_keys").fetchone()[0] >= self.max_keys:
                return _FULL
            c.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?)", (key.id, digest, key.SerializeToString())
            )
            return _CREATED

        _raise_for(await self.db.transaction(write), key.id)

    async def get(self, key_id: str) -> admin_pb2.ApiKey | None:
        """See `KeyStore.get`."""
        row = await self.db.run(
            lambda c: c.execute("SELECT key FROM api_keys WHERE id = ?", (key_id,)).fetchone()
        )
        return None if row is None else _parsed(bytes(row[0]))

    async def find(self, digest: str) -> admin_pb2.ApiKey | None:
        """See `KeyStore.find`."""
        row = await self.db.run(
            lambda c: c.execute("SELECT key FROM api_keys WHERE digest = ?", (digest,)).fetchone()
        )
        return None if row is None else _parsed(bytes(row[0]))

    async def list(self) -> list[admin_pb2.ApiKey]:
        """See `KeyStore.list`."""
        rows = await self.db.run(lambda c: c.execute("SELECT key FROM api_keys").fetchall())
        return [admin_pb2.ApiKey.FromString(bytes(row[0])) for row in rows]

    async def replace(self, key: admin_pb2.ApiKey) -> bool:
        """See `KeyStore.replace`."""
        changed = await self.db.run(
            lambda c: (
                c.execute(
                    "UPDATE api_keys SET key = ? WHERE id = ?", (key.SerializeToString(), key.id)
                ).rowcount
            )
        )
        return bool(changed)


class RedisKeyStore(redis_state._Store):
    """Two hashes, `keys:by_id` (id -> proto) and `keys:by_digest` (digest -> id)."""

    def __init__(self, backend: redis_state.RedisBackend, max_keys: int = MAX_KEYS) -> None:
        super().__init__(backend)
        self.max_keys = max_keys
        self._names = [backend.key("keys", "by_id"), backend.key("keys", "by_digest")]
        self._create = self.client.register_script(_CREATE_LUA)
        self._find = self.client.register_script(_FIND_LUA)
        self._replace = self.client.register_script(_REPLACE_LUA)

    async def create(self, key: admin_pb2.ApiKey, digest: str) -> None:
        """See `KeyStore.create`."""
        args: list[bytes | str] = [key.id, digest, key.SerializeToString(), str(self.max_keys)]
        outcome = await self.guard.call(lambda: self._create(keys=self._names, args=args))
        _raise_for(int(outcome), key.id)

    async def get(self, key_id: str) -> admin_pb2.ApiKey | None:
        """See `KeyStore.get`."""
        return _parsed(await self.guard.call(lambda: self.client.hget(self._names[0], key_id)))

    async def find(self, digest: str) -> admin_pb2.ApiKey | None:
        """See `KeyStore.find`."""
        return _parsed(await self.guard.call(lambda: self._find(keys=self._names, args=[digest])))

    async def list(self) -> list[admin_pb2.ApiKey]:
        """See `KeyStore.list`."""
        found = await self.guard.call(lambda: self.client.hvals(self._names[0]))
        return [key for key in map(_parsed, found) if key is not None]

    async def replace(self, key: admin_pb2.ApiKey) -> bool:
        """See `KeyStore.replace`."""
        args: list[bytes | str] = [key.id, key.SerializeToString()]
        changed = await self.guard.call(lambda: self._replace(keys=self._names[:1], args=args))
        return bool(int(changed))
