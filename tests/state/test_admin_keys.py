"""Keys made at runtime through the admin API and the `modelgate keys`/`usage` CLI, on
memory, SQLite and Redis: they work for Chat, revoke refuses them (on every replica),
usage sums the calls, caller keys cannot administer, and the secret is kept nowhere."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
import redis

from modelgate.admin.v1 import admin_pb2, admin_pb2_grpc
from modelgate.api.auth import STORE_LOOKUP_SECONDS
from modelgate.cli import main
from modelgate.config import (
    AccessLogConfig,
    AdminConfig,
    AdminKeyConfig,
    ApiKeyConfig,
    AuthConfig,
    StateConfig,
)
from modelgate.v1 import chat_pb2, content_pb2
from tests.gateways import Served, serve, settings
from tests.waiting import eventually

ADMIN_SECRET = "admin-secret-for-tests-0123456789"
CALLER_SECRET = "config-caller-secret-0123456789"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _config(state_url: str) -> object:
    return settings(
        echo=True,
        auth=AuthConfig(
            enabled=True, keys=[ApiKeyConfig(id="static", sha256=_digest(CALLER_SECRET))]
        ),
        admin=AdminConfig(keys=[AdminKeyConfig(id="ops", sha256=_digest(ADMIN_SECRET))]),
        state=StateConfig(url=state_url),
        # The CLI runs in this process and prints JSON to stdout, where the gateway's access
        # log would also go: a real `modelgate serve` is another process.
        access_log=AccessLogConfig(enabled=False),
    )


@contextlib.asynccontextmanager
async def _gateway(state_url: str) -> AsyncIterator[Served]:
    async with serve(_config(state_url)) as served:  # type: ignore[arg-type]
        yield served


def _chat(text: str) -> chat_pb2.ChatRequest:
    message = content_pb2.Message(
        role=content_pb2.ROLE_USER, parts=[content_pb2.ContentPart(text=text)]
    )
    return chat_pb2.ChatRequest(model="echo", messages=[message])


def _bearer(secret: str) -> tuple[tuple[str, str]]:
    return (("authorization", f"Bearer {secret}"),)


async def _cli(capsys: pytest.CaptureFixture[str], target: str, *argv: str) -> dict[str, object]:
    """Run `modelgate ...` (blocking client) off the loop the gateway serves on; its JSON."""
    capsys.readouterr()
    args = [*argv, "--target", target, "--admin-key", ADMIN_SECRET, "--json"]
    assert await asyncio.to_thread(main, args) == 0
    parsed: dict[str, object] = json.loads(capsys.readouterr().out)
    return parsed


async def _code(served: Served, secret: str) -> grpc.StatusCode:
    try:
        await served.stub.Chat(_chat("hi"), metadata=_bearer(secret))
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


async def test_a_created_key_chats_is_counted_and_stops_working_once_revoked(
    state_url: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with _gateway(state_url) as served:
        created = await _cli(capsys, served.target, "keys", "create", "--id", "team-a")
        secret = str(created["secret"])
        assert secret.startswith("mg-") and len(secret) > 40
        for text in ("one two", "three"):
            reply = await served.stub.Chat(_chat(text), metadata=_bearer(secret))
            assert reply.model == "echo"

        usage = await _cli(capsys, served.target, "usage", "--key-id", "team-a")
        assert usage["rows"] == [
            {
                "keyId": "team-a",
                "model": "echo",
                "requests": "2",
                "inputTokens": "3",
                "outputTokens": "3",
            }
        ]
        listed = await _cli(capsys, served.target, "keys", "list")
        assert [k["id"] for k in listed["keys"]] == ["static", "team-a"]  # type: ignore[attr-defined]
        got = await _cli(capsys, served.target, "keys", "get", "team-a")

        await _cli(capsys, served.target, "keys", "revoke", "team-a")
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await served.stub.Chat(_chat("again"), metadata=_bearer(secret))
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "was revoked" in (refused.value.details() or "")

        assert secret not in json.dumps([listed, got, usage])
        assert all(secret not in record.getMessage() for record in caplog.records)
        await _assert_not_stored(served, state_url, secret)


async def _assert_not_stored(served: Served, state_url: str, secret: str) -> None:
    if state_url.startswith("sqlite://"):
        files = Path(state_url.removeprefix("sqlite://")).parent.glob("*")
        assert all(secret.encode() not in path.read_bytes() for path in files if path.is_file())
    if state_url.startswith("redis://"):
        with redis.Redis.from_url(state_url) as client:
            dumped = [client.dump(name) or b"" for name in client.scan_iter()]
        assert dumped and all(secret.encode() not in value for value in dumped)


async def test_the_admin_api_refuses_caller_keys_and_anonymous_calls(state_url: str) -> None:
    async with _gateway(state_url) as served:
        stub = admin_pb2_grpc.AdminServiceStub(served.channel)
        request = admin_pb2.ListKeysRequest()
        with pytest.raises(grpc.aio.AioRpcError) as caller:
            await stub.ListKeys(request, metadata=_bearer(CALLER_SECRET))
        assert caller.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.aio.AioRpcError) as anonymous:
            await stub.ListKeys(request)
        assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.aio.AioRpcError) as config_key:
            await stub.RevokeKey(
                admin_pb2.RevokeKeyRequest(id="static"), metadata=_bearer(ADMIN_SECRET)
            )
        assert config_key.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "configuration file" in (config_key.value.details() or "")


@pytest.mark.redis
async def test_a_revoke_on_one_replica_is_refused_by_another_sharing_redis(
    fresh_redis_url: str,
) -> None:
    assert STORE_LOOKUP_SECONDS < 1, "the contract promises every replica within a second"
    async with _gateway(fresh_redis_url) as first, _gateway(fresh_redis_url) as second:
        admin = admin_pb2_grpc.AdminServiceStub(first.channel)
        created = await admin.CreateKey(
            admin_pb2.CreateKeyRequest(key=admin_pb2.ApiKey(id="fleet")),
            metadata=_bearer(ADMIN_SECRET),
        )
        assert await _code(second, created.secret) == grpc.StatusCode.OK
        await admin.RevokeKey(
            admin_pb2.RevokeKeyRequest(id="fleet"), metadata=_bearer(ADMIN_SECRET)
        )
        assert await _code(first, created.secret) == grpc.StatusCode.UNAUTHENTICATED

        async def refused_by_second() -> bool:
            return await _code(second, created.secret) == grpc.StatusCode.UNAUTHENTICATED

        await eventually(refused_by_second, what="the second replica refuses the revoked key")
