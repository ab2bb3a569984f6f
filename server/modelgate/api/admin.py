"""`modelgate.admin.v1.AdminService`: caller keys and usage, for admin credentials only.

Keys from the configuration (`auth.keys`) are listed read-only next to the key
store's; a key's secret is made here (`mg-` + 32 random bytes, URL-safe), returned
once and stored only as its SHA-256 digest. A change made on this replica is seen
by its authenticator at once (`Authenticator.forget`), on the others within
`STORE_LOOKUP_SECONDS`. Usage sums the state backend's hourly buckets.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import time
from typing import Any, Protocol

import grpc
from google.protobuf import timestamp_pb2
from typing_extensions import override

from modelgate.admin.v1 import admin_pb2, admin_pb2_grpc
from modelgate.api.admin_checks import KEY_ID, UPDATABLE, authorize, key_problems
from modelgate.api.auth import config_key
from modelgate.api.live import Routing
from modelgate.api.status import abort
from modelgate.errors import GatewayError, invalid_argument, state_unavailable
from modelgate.errors.key_factories import (
    key_exists,
    key_not_found,
    key_read_only,
    key_revoked_unchangeable,
    key_store_full,
)
from modelgate.state.budgets import budget_states
from modelgate.state.errors import StateUnavailableError
from modelgate.state.factory import State
from modelgate.state.keys import KeyExistsError, KeyStoreFullError
from modelgate.state.usage import HOUR, aggregate, hour_of

Context = grpc.aio.ServicerContext[Any, Any]
_DAY = 24 * HOUR


class Governed(Protocol):
    """What the admin API reads: the configuration in force and the state backend."""

    routing: Routing
    state: State | None


def _now() -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.GetCurrentTime()
    return stamp


class AdminServicer(admin_pb2_grpc.AdminServiceServicer):
    """Every RPC checks the admin credential first, then acts on the state backend."""

    def __init__(self, gateway: Governed) -> None:
        self.gateway = gateway

    async def _begin(self, context: Context) -> State:
        authorize(self.gateway.routing.settings, context.invocation_metadata())
        state = self.gateway.state
        if state is None:
            raise StateUnavailableError("not open yet", backend="state", summary="is not open")
        return state

    def _config_keys(self) -> dict[str, admin_pb2.ApiKey]:
        keys = (config_key(k) for k in self.gateway.routing.settings.auth.keys)
        return {key.id: key for key in keys}

    async def _run(self, context: Context, action: Any) -> Any:
        """`await action(state)` after the credential check; errors end the call."""
        try:
            return await action(await self._begin(context))
        except StateUnavailableError as exc:
            await abort(context, state_unavailable("key store", exc))
        except GatewayError as exc:
            await abort(context, exc)

    async def _stored(self, state: State, key_id: str) -> admin_pb2.ApiKey:
        """The store's key `key_id`: INVALID_ARGUMENT, read-only or NOT_FOUND otherwise."""
        if not key_id:
            raise invalid_argument([("id", "is required")])
        if key_id in self._config_keys():
            raise key_read_only(key_id)
        key = await state.keys.get(key_id)
        if key is None:
            raise key_not_found(key_id)
        return key

    @staticmethod
    async def _with_spend(state: State, keys: list[admin_pb2.ApiKey]) -> None:
        """Fill each key's `budget_states` with its current periods' spend."""
        for key in keys:
            if key.budgets:
                del key.budget_states[:]
                key.budget_states.extend(await budget_states(state.budgets, key))

    def _forget(self, key_id: str) -> None:
        auth = self.gateway.routing.auth
        if auth is not None:
            auth.forget(key_id)

    @override
    async def CreateKey(
        self, request: admin_pb2.CreateKeyRequest, context: Context
    ) -> admin_pb2.CreateKeyResponse:
        async def create(state: State) -> admin_pb2.CreateKeyResponse:
            key = admin_pb2.ApiKey()
            key.CopyFrom(request.key)
            for output_only in ("source", "create_time", "revoke_time", "budget_states"):
                key.ClearField(output_only)
            key.id = key.id or f"key-{secrets.token_hex(6)}"
            if not KEY_ID.match(key.id):
                raise invalid_argument([("key.id", "1-64 of [a-z0-9._-]")])
            problem = key_problems(key, "key", UPDATABLE)
            if problem is not None:
                raise problem
            if key.id in self._config_keys():
                raise key_exists(key.id)
            key.source = admin_pb2.KEY_SOURCE_ADMIN
            key.create_time.CopyFrom(_now())
            secret = f"mg-{secrets.token_urlsafe(32)}"
            try:
                await state.keys.create(key, hashlib.sha256(secret.encode()).hexdigest())
            except KeyExistsError:
                raise key_exists(key.id) from None
            except KeyStoreFullError:
                raise key_store_full(getattr(state.keys, "max_keys", 0)) from None
            return admin_pb2.CreateKeyResponse(key=key, secret=secret)

        result: admin_pb2.CreateKeyResponse = await self._run(context, create)
        return result

    @override
    async def GetKey(
        self, request: admin_pb2.GetKeyRequest, context: Context
    ) -> admin_pb2.GetKeyResponse:
        async def get(state: State) -> admin_pb2.GetKeyResponse:
            if not request.id:
                raise invalid_argument([("id", "is required")])
            key = self._config_keys().get(request.id) or await state.keys.get(request.id)
            if key is None:
                raise key_not_found(request.id)
            await self._with_spend(state, [key])
            return admin_pb2.GetKeyResponse(key=key)

        result: admin_pb2.GetKeyResponse = await self._run(context, get)
        return result

    @override
    async def ListKeys(
        self, request: admin_pb2.ListKeysRequest, context: Context
    ) -> admin_pb2.ListKeysResponse:
        async def list_keys(state: State) -> admin_pb2.ListKeysResponse:
            size = request.page_size or 100
            if not 1 <= size <= 1000:
                raise invalid_argument([("page_size", "must be 0 (100) or 1 to 1000")])
            try:
                after = base64.urlsafe_b64decode(request.page_token).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise invalid_argument([("page_token", "not a token this API gave")]) from None
            keys = {**{k.id: k for k in await state.keys.list()}, **self._config_keys()}
            shown = sorted(
                (k for k in keys.values() if request.show_revoked or not k.HasField("revoke_time")),
                key=lambda k: k.id,
            )
            page = [k for k in shown if k.id > after][:size]
            last = page[-1].id if page and page[-1].id != shown[-1].id else ""
            token = base64.urlsafe_b64encode(last.encode()).decode() if last else ""
            await self._with_spend(state, page)
            return admin_pb2.ListKeysResponse(
                keys=page, next_page_token=token, total_size=len(shown)
            )

        result: admin_pb2.ListKeysResponse = await self._run(context, list_keys)
        return result

    @override
    async def UpdateKey(
        self, request: admin_pb2.UpdateKeyRequest, context: Context
    ) -> admin_pb2.UpdateKeyResponse:
        async def update(state: State) -> admin_pb2.UpdateKeyResponse:
            paths = frozenset(request.update_mask.paths)
            wrong = [
                (f"update_mask.paths[{i}]", f"not one of {', '.join(sorted(UPDATABLE))}")
                for i, path in enumerate(request.update_mask.paths)
                if path not in UPDATABLE
            ]
            if wrong or not paths:
                raise invalid_argument(wrong or [("update_mask", "names no field")])
            problem = key_problems(request.key, "key", paths)
            if problem is not None:
                raise problem
            key = await self._stored(state, request.key.id)
            if key.HasField("revoke_time"):
                raise key_revoked_unchangeable(key.id)
            request.update_mask.MergeMessage(
                request.key, key, replace_message_field=True, replace_repeated_field=True
            )
            if not await state.keys.replace(key):
                raise key_not_found(key.id)
            self._forget(key.id)
            return admin_pb2.UpdateKeyResponse(key=key)

        result: admin_pb2.UpdateKeyResponse = await self._run(context, update)
        return result

    @override
    async def RevokeKey(
        self, request: admin_pb2.RevokeKeyRequest, context: Context
    ) -> admin_pb2.RevokeKeyResponse:
        async def revoke(state: State) -> admin_pb2.RevokeKeyResponse:
            key = await self._stored(state, request.id)
            if not key.HasField("revoke_time"):
                key.revoke_time.CopyFrom(_now())
                if not await state.keys.replace(key):
                    raise key_not_found(key.id)
            self._forget(key.id)
            return admin_pb2.RevokeKeyResponse(key=key)

        result: admin_pb2.RevokeKeyResponse = await self._run(context, revoke)
        return result

    @override
    async def GetUsage(
        self, request: admin_pb2.GetUsageRequest, context: Context
    ) -> admin_pb2.GetUsageResponse:
        async def usage(state: State) -> admin_pb2.GetUsageResponse:
            granularity = request.granularity
            if granularity not in admin_pb2.UsageGranularity.values():
                raise invalid_argument([("granularity", "unknown value")])
            start = hour_of(request.start_time.seconds) if request.HasField("start_time") else 0
            end_s = request.end_time.seconds if request.HasField("end_time") else time.time()
            end = hour_of(end_s) + (HOUR if end_s % HOUR or not request.HasField("end_time") else 0)
            if end <= start:
                raise invalid_argument([("end_time", "must be after start_time")])
            buckets = await state.totals.rows(start, end, request.key_id, request.model)
            if not request.HasField("start_time"):
                start = min((b.period_start.seconds for b in buckets), default=end)
            period = {
                admin_pb2.USAGE_GRANULARITY_HOUR: lambda hour: hour,
                admin_pb2.USAGE_GRANULARITY_DAY: lambda hour: hour - hour % _DAY,
            }.get(granularity, lambda _: None)
            response = admin_pb2.GetUsageResponse(rows=aggregate(buckets, period))
            response.start_time.FromSeconds(start)
            response.end_time.FromSeconds(end)
            return response

        result: admin_pb2.GetUsageResponse = await self._run(context, usage)
        return result
