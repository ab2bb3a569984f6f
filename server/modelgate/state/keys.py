"""Caller keys created through the admin API, kept in the state backend.

A key is stored as its `admin.v1.ApiKey` proto (serialized) beside the SHA-256
digest of its secret; the secret itself is never stored. Ids are immutable and
keys are never deleted (revoking sets `revoke_time`), so the store holds at most
`MAX_KEYS` of them and `list` may return them all at once. Memory here; SQLite and
Redis in `keys_backends`.
"""

from __future__ import annotations

from typing import Protocol

from modelgate.admin.v1 import admin_pb2

MAX_KEYS = 10_000
"""Keys a store holds at most, revoked ones included (each is a few hundred bytes)."""


class KeyExistsError(Exception):
    """The id (or, impossibly for random secrets, the digest) is taken."""


class KeyStoreFullError(Exception):
    """The store already holds `MAX_KEYS` keys."""


class KeyStore(Protocol):
    """Keys by id and by the digest of their secret."""

    async def create(self, key: admin_pb2.ApiKey, digest: str) -> None:
        """Store a new key; `KeyExistsError` when its id is taken, `KeyStoreFullError`."""
        ...

    async def get(self, key_id: str) -> admin_pb2.ApiKey | None:
        """The key with this id, or None."""
        ...

    async def find(self, digest: str) -> admin_pb2.ApiKey | None:
        """The key whose secret hashes to `digest` (SHA-256 hex), or None."""
        ...

    async def list(self) -> list[admin_pb2.ApiKey]:
        """Every key (at most `MAX_KEYS`), in no particular order."""
        ...

    async def replace(self, key: admin_pb2.ApiKey) -> bool:
        """Overwrite the stored key with `key.id`; False when there is none."""
        ...

    async def aclose(self) -> None:
        """Release the backend."""
        ...


class MemoryKeyStore:
    """Keys in two dicts: for one process (and tests); gone when it exits."""

    def __init__(self, max_keys: int = MAX_KEYS) -> None:
        self.max_keys = max_keys
        self._keys: dict[str, bytes] = {}
        self._digests: dict[str, str] = {}

    async def create(self, key: admin_pb2.ApiKey, digest: str) -> None:
        """See `KeyStore.create`."""
        if key.id in self._keys or digest in self._digests:
            raise KeyExistsError(key.id)
        if len(self._keys) >= self.max_keys:
            raise KeyStoreFullError(key.id)
        self._keys[key.id] = key.SerializeToString()
        self._digests[digest] = key.id

    async def get(self, key_id: str) -> admin_pb2.ApiKey | None:
        """See `KeyStore.get`."""
        data = self._keys.get(key_id)
        return None if data is None else admin_pb2.ApiKey.FromString(data)

    async def find(self, digest: str) -> admin_pb2.ApiKey | None:
        """See `KeyStore.find`."""
        key_id = self._digests.get(digest)
        return None if key_id is None else await self.get(key_id)

    async def list(self) -> list[admin_pb2.ApiKey]:
        """See `KeyStore.list`."""
        return [admin_pb2.ApiKey.FromString(data) for data in self._keys.values()]

    async def replace(self, key: admin_pb2.ApiKey) -> bool:
        """See `KeyStore.replace`."""
        if key.id not in self._keys:
            return False
        self._keys[key.id] = key.SerializeToString()
        return True

    async def aclose(self) -> None:
        """Nothing to release."""
