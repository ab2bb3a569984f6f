"""Caller API keys: who is calling, which models they may use, how fast.

A key is a `modelgate.admin.v1.ApiKey` (the proto is the domain model): the
config file's keys are converted once, at load, into read-only ones
(`KEY_SOURCE_CONFIG`). Keys are configured as SHA-256 digests, so the config
file holds nothing that authenticates. The key's id (never the key) is what logs, metrics and
conversation ownership see. The raw key a caller sends is held like any other
secret from its first successful use on: redacted wherever text leaves (a prompt
that quotes it on a captured span, an upstream error that echoes it).
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import time
from collections import OrderedDict
from typing import Any

from modelgate.admin.v1 import admin_pb2
from modelgate.api.budget_gate import BudgetGate, Hold
from modelgate.config import ApiKeyConfig, AuthConfig
from modelgate.errors import (
    api_key_missing,
    api_key_too_short,
    api_key_unknown,
    model_not_allowed,
    quota_exceeded,
    state_unavailable,
)
from modelgate.errors.key_factories import api_key_revoked
from modelgate.redactor import MIN_SECRET_CHARS, REDACTOR
from modelgate.state.counters import RateLimiter
from modelgate.state.errors import StateUnavailableError
from modelgate.state.keys import MAX_KEYS, KeyStore

log = logging.getLogger(__name__)

STORE_LOOKUP_SECONDS = 0.5
"""How long a key read from the key store is trusted: a revoke or update made on another
replica is seen here within this (the contract promises within a second)."""
_MAX_LOOKUPS = 2 * MAX_KEYS
"""Remembered store answers (unknown digests included), least recently used out first."""

caller_key_id: contextvars.ContextVar[str] = contextvars.ContextVar("caller_key_id", default="")
"""The authenticated key id of the current call ("" when auth is off)."""


class TokenBucket:
    """An in-process token bucket (the shared Redis one replaces it in the fleet)."""

    __slots__ = ("_stamp", "_tokens", "burst", "rate")

    def __init__(self, rate_per_s: float, burst: float) -> None:
        self.rate = rate_per_s
        self.burst = burst
        self._tokens = burst
        self._stamp = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def wait_time(self, cost: float) -> float:
        """0 when `cost` is available now (and takes it), else seconds until it would be."""
        self._refill()
        if self._tokens >= cost:
            self._tokens -= cost
            return 0.0
        return (cost - self._tokens) / self.rate

    def deficit_wait(self) -> float:
        """Seconds until an overspent balance is positive again (0 when it is)."""
        self._refill()
        return 0.0 if self._tokens > 0 else (1 - self._tokens) / self.rate

    def spend(self, cost: float) -> None:
        """Take `cost` after the fact (token usage is known only at the end); may go negative."""
        self._refill()
        self._tokens -= cost


def config_key(config: ApiKeyConfig) -> admin_pb2.ApiKey:
    """The read-only `ApiKey` of one `auth.keys` entry."""
    return admin_pb2.ApiKey(
        id=config.id,
        source=admin_pb2.KEY_SOURCE_CONFIG,
        allowed_models=config.models,
        requests_per_minute=config.requests_per_minute,
        tokens_per_minute=config.tokens_per_minute,
        budgets=[budget.to_proto() for budget in config.budgets],
    )


def _bucket(buckets: dict[str, TokenBucket], key_id: str, per_minute: int) -> TokenBucket:
    """The key's bucket for a rate of `per_minute`, new (full) when the rate changed."""
    rate = per_minute / 60
    bucket = buckets.get(key_id)
    if bucket is None or bucket.rate != rate:
        bucket = buckets[key_id] = TokenBucket(rate, max(1.0, per_minute))
    return bucket


class Authenticator:
    """Checks `authorization: Bearer <key>` and the key's model list and quotas."""

    def __init__(self, config: AuthConfig) -> None:
        self.keys = {key.sha256.lower(): config_key(key) for key in config.keys}
        """SHA-256 hex digest -> the config file's key."""
        self.limiter: RateLimiter | None = None
        """The shared rate limiter, set when the state backend opens."""
        self.limiter_fails_open = True
        """Admit a call whose shared rate limit cannot be checked (else UNAVAILABLE)."""
        self._requests: dict[str, TokenBucket] = {}
        self._tokens: dict[str, TokenBucket] = {}
        self.budget_gate: BudgetGate | None = None
        """Reserves and settles budgets, set when the state backend opens."""
        self._held: set[str] = set()
        """Ids of keys whose raw value the redactor holds (learnt on first use)."""
        self.store: KeyStore | None = None
        """Keys made through the admin API, set when the state backend opens."""
        self._lookups: OrderedDict[str, tuple[float, admin_pb2.ApiKey | None]] = OrderedDict()
        """digest -> (monotonic time read, the stored key or None)."""

    def use_budgets(self, gate: BudgetGate) -> None:
        """Enforce the keys' budgets through `gate` (the state backend's budget store)."""
        self.budget_gate = gate

    def use_limiter(self, limiter: RateLimiter, *, fail_open: bool) -> None:
        """Check request rates with the shared `limiter`; `fail_open` when it is unavailable."""
        self.limiter = limiter
        self.limiter_fails_open = fail_open

    def use_store(self, store: KeyStore) -> None:
        """Look keys the configuration lacks up in `store` (the admin API's keys)."""
        self.store = store
        self._lookups.clear()

    def forget(self, key_id: str) -> None:
        """Drop what this replica remembers of `key_id` (changed here: seen at once)."""
        for digest in [d for d, (_, key) in self._lookups.items() if key and key.id == key_id]:
            del self._lookups[digest]

    async def _stored(self, digest: str) -> admin_pb2.ApiKey | None:
        """The store's key for `digest`, as read at most `STORE_LOOKUP_SECONDS` ago;
        UNAVAILABLE when the store cannot answer (an unknown key is never admitted)."""
        if self.store is None:
            return None
        now = time.monotonic()
        seen = self._lookups.get(digest)
        if seen is not None and now - seen[0] < STORE_LOOKUP_SECONDS:
            self._lookups.move_to_end(digest)
            return seen[1]
        try:
            key = await self.store.find(digest)
        except StateUnavailableError as exc:
            raise state_unavailable("key store", exc) from exc
        self._lookups[digest] = (now, key)
        self._lookups.move_to_end(digest)
        while len(self._lookups) > _MAX_LOOKUPS:
            self._lookups.popitem(last=False)
        return key

    async def _shared_wait(
        self,
        limiter: RateLimiter,
        name: str,
        cost: float,
        key: admin_pb2.ApiKey,
        bucket: TokenBucket,
    ) -> float:
        """The shared bucket `name`'s answer; when the backend fails, the
        `state.limiter_on_failure` policy: admit (0) or UNAVAILABLE."""
        try:
            return await limiter.acquire(name, cost, bucket.rate, bucket.burst)
        except StateUnavailableError as exc:
            if not self.limiter_fails_open:
                raise state_unavailable("rate limiter", exc) from exc
            log.warning("rate of API key %r not checked, call admitted: %s", key.id, exc)
            return 0.0

    async def identify(self, metadata: Any) -> admin_pb2.ApiKey:
        """The key of the call (the configuration's, else the key store's); UNAUTHENTICATED
        when missing, unknown, revoked or expired."""
        header = ""
        for name, value in metadata or ():
            if name == "authorization":
                header = value if isinstance(value, str) else ""
                break
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret:
            raise api_key_missing()
        secret = secret.strip()
        # A dict lookup: timing can only reveal how much of a SHA-256 digest
        # matched, which says nothing about the secret behind it.
        digest = hashlib.sha256(secret.encode()).hexdigest()
        key = self.keys.get(digest) or await self._stored(digest)
        if key is None:
            raise api_key_unknown()
        if key.HasField("revoke_time"):
            raise api_key_revoked(key.id, "was revoked")
        if key.HasField("expire_time") and key.expire_time.ToNanoseconds() <= time.time_ns():
            raise api_key_revoked(key.id, "has expired")
        if key.id not in self._held:
            if len(secret) < MIN_SECRET_CHARS:  # configured as a digest: known only now
                raise api_key_too_short(key.id, MIN_SECRET_CHARS)
            REDACTOR.hold([secret])
            self._held.add(key.id)
        return key

    async def admit(self, key: admin_pb2.ApiKey, model: str) -> None:
        """PERMISSION_DENIED for disallowed models, RESOURCE_EXHAUSTED over quota.

        Request rate and token rate are token buckets shared through the state backend
        once it is set (Redis: fleet-wide). A call's tokens are known only when it ends,
        so the token bucket is debited then and may go negative; a key is admitted while
        its token bucket is not overdrawn.
        """
        if key.allowed_models and model and model not in key.allowed_models:
            raise model_not_allowed(key.id, model)
        if key.requests_per_minute:
            bucket = _bucket(self._requests, key.id, key.requests_per_minute)
            if self.limiter is not None:
                wait = await self._shared_wait(self.limiter, f"rpm:{key.id}", 1, key, bucket)
            else:
                wait = bucket.wait_time(1)
            if wait:
                raise quota_exceeded(key.id, "request rate", wait)
        if key.tokens_per_minute:
            tokens = _bucket(self._tokens, key.id, key.tokens_per_minute)
            if self.limiter is not None:
                wait = await self._shared_wait(self.limiter, f"tpm:{key.id}", 0, key, tokens)
            else:
                wait = tokens.deficit_wait()
            if wait:
                raise quota_exceeded(key.id, "token budget", wait)

    async def reserve(self, rpc: str, key: admin_pb2.ApiKey, request: Any) -> Hold | None:
        """Hold an estimate of the call on the key's budgets (see `api.budget_gate`): the
        configuration's or the admin API's, as the key was read."""
        if not key.budgets or self.budget_gate is None:
            return None
        return await self.budget_gate.reserve(rpc, key.id, list(key.budgets), request)

    async def settle(self, key_id: str, hold: Hold | None, done: Any) -> None:
        """Settle the call's budget hold and debit its tokens from the key's token rate;
        `done` is the call's usage holder (None: it ended without one)."""
        if hold is not None and self.budget_gate is not None:
            await self.budget_gate.settle(hold, done)
        used = done.usage.input_tokens + done.usage.output_tokens if done is not None else 0
        bucket = self._tokens.get(key_id)
        if bucket is None or not used:
            return
        if self.limiter is None:
            bucket.spend(used)
            return
        try:
            await self.limiter.debit(f"tpm:{key_id}", used, bucket.rate, bucket.burst)
        except StateUnavailableError as exc:
            log.warning("%d tokens not debited from API key %r's token rate: %s", used, key_id, exc)
