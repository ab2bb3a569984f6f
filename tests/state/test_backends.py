"""What only a durable or shared backend promises, and choosing one by URL."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import redis

from modelgate.state import Bounds, State, StateUnavailableError, build_state
from modelgate.state.conversations import Conversation
from modelgate.state.redis import RETRIES
from modelgate.state.usage import DEFAULT_RETENTION_HOURS
from modelgate.v1 import content_pb2
from tests.state.conftest import OwnRedis
from tests.state.usage_helpers import FOREVER, call, totals


def hello() -> list[content_pb2.Message]:
    return [
        content_pb2.Message(role=content_pb2.ROLE_USER, parts=[content_pb2.ContentPart(text="hi")]),
        content_pb2.Message(
            role=content_pb2.ROLE_ASSISTANT, parts=[content_pb2.ContentPart(text="hello")]
        ),
    ]


async def _exchange(writer: State, reader: State) -> None:
    """Whatever `writer` stores, `reader` sees: conversations, cache, buckets, totals."""
    await writer.conversations.save("resp_shared", "key-a", hello(), "echo")
    await writer.cache.set("entry", b"cached", ttl=60)
    # 100 s a token: the reader's wait below is ~100 s however long the calls in between take.
    assert await writer.limiter.acquire("key-a", 2, rate_per_s=0.01, burst=2) == 0
    await writer.totals.add(call("echo", "key-a", 3, 4, 0.5))

    assert await reader.conversations.load("resp_shared", "key-a") == Conversation(
        hello(), "resp_shared"
    )
    assert await reader.conversations.load("resp_shared", "key-b") is None
    assert await reader.cache.get("entry") == b"cached"
    assert await reader.limiter.acquire("key-a", 1, rate_per_s=0.01, burst=2) > 50
    assert await totals(reader) == {("echo", "key-a"): (3, 4, 0.5)}


@pytest.mark.redis
async def test_two_gateways_sharing_redis_see_each_others_state(fresh_redis_url: str) -> None:
    first, second = await build_state(fresh_redis_url), await build_state(fresh_redis_url)
    try:
        await _exchange(first, second)
    finally:
        await first.aclose()
        await second.aclose()


@pytest.mark.redis
async def test_redis_keys_are_namespaced_and_growing_ones_expire(fresh_redis_url: str) -> None:
    state = await build_state(fresh_redis_url, ttl_seconds=600)
    try:
        await state.conversations.save("resp_1", "", hello(), "echo")
        await state.cache.set("entry", b"v", ttl=30)
        await state.limiter.acquire("key-a", 1, rate_per_s=0.001, burst=10)
        await state.totals.add(call("echo", "key-a", 1, 1, 0.0))
    finally:
        await state.aclose()
    with redis.Redis.from_url(fresh_redis_url) as client:
        keys = {k.decode(): client.pttl(k) for k in client.scan_iter()}
    assert set(keys) >= {"modelgate:conv:resp_1", "modelgate:cache:entry", "modelgate:rate:key-a"}
    assert all(k.startswith("modelgate:") for k in keys)
    assert 590_000 < keys["modelgate:conv:resp_1"] <= 600_000
    assert 0 < keys["modelgate:cache:entry"] <= 30_000
    # full again after 1000 s (one token at 0.001/s), plus 1 s margin
    assert 900_000 < keys["modelgate:rate:key-a"] <= 1_001_000
    usage = [ttl for k, ttl in keys.items() if k.startswith("modelgate:usage:")]
    assert len(usage) == 2, "one hour's hash and the index of hours"
    retention = DEFAULT_RETENTION_HOURS * 3600_000
    assert all(retention < ttl <= retention + 2 * 3600_000 for ttl in usage)


@pytest.mark.redis
async def test_a_redis_namespace_isolates_gateways(fresh_redis_url: str) -> None:
    ours, theirs = (
        await build_state(fresh_redis_url),
        await build_state(fresh_redis_url, namespace="other"),
    )
    try:
        await ours.conversations.save("resp_1", "", hello(), "echo")
        await ours.cache.set("entry", b"v", ttl=30)
        assert await theirs.conversations.load("resp_1", "") is None
        assert await theirs.cache.get("entry") is None
    finally:
        await ours.aclose()
        await theirs.aclose()


async def test_unreachable_redis_fails_without_showing_the_password() -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(StateUnavailableError) as info:
        await build_state(f"redis://:hunter2@127.0.0.1:{port}/0")
    assert "hunter2" not in str(info.value)
    assert f"127.0.0.1:{port}" in str(info.value)


async def test_a_redis_that_hangs_up_fails_start_up_after_one_retry_not_ten() -> None:
    """Fails fast, counted in connections rather than timed: no 10-retry backoff at start-up."""
    connections = 0

    async def hang_up(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(StateUnavailableError) as info:
            await build_state(f"redis://:hunter2@127.0.0.1:{port}/0")
    finally:
        server.close()
        await server.wait_closed()
    assert connections == 1 + RETRIES
    assert "hunter2" not in str(info.value)


async def test_sqlite_state_survives_closing_and_reopening_the_file(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'state.db'}"
    first = await build_state(url)
    await first.conversations.save("resp_1", "key-a", hello(), "echo")
    await first.cache.set("entry", b"cached", ttl=60)
    assert await first.limiter.acquire("key-a", 2, rate_per_s=0.01, burst=2) == 0
    await first.totals.add(call("echo", "key-a", 3, 4, 0.5))
    await first.aclose()

    second = await build_state(url)
    try:
        assert await second.conversations.load("resp_1", "key-a") == Conversation(hello(), "resp_1")
        assert await second.cache.get("entry") == b"cached"
        assert await second.limiter.acquire("key-a", 1, rate_per_s=0.01, burst=2) > 50
        assert await totals(second) == {("echo", "key-a"): (3, 4, 0.5)}
    finally:
        await second.aclose()


async def test_worker_processes_sharing_one_sqlite_file_share_state(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'state.db'}"
    first, second = await build_state(url), await build_state(url)
    try:
        await _exchange(first, second)
    finally:
        await first.aclose()
        await second.aclose()


async def test_sqlite_file_is_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "state.db"
    state = await build_state(f"sqlite://{path}")
    await state.aclose()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_a_closed_sqlite_state_reports_unavailable(tmp_path: Path) -> None:
    state = await build_state(f"sqlite://{tmp_path / 'state.db'}")
    await state.aclose()
    await state.aclose()  # idempotent
    with pytest.raises(StateUnavailableError, match="closed"):
        await state.cache.get("entry")


async def test_an_unopenable_sqlite_path_reports_unavailable(tmp_path: Path) -> None:
    with pytest.raises(StateUnavailableError, match="SQLite"):
        await build_state(f"sqlite://{tmp_path}")  # a directory, not a file


@pytest.mark.parametrize("url", [None, "", "memory://"])
async def test_no_url_or_memory_url_gives_memory_state(url: str | None) -> None:
    state = await build_state(url)
    assert state.backend == "memory"
    await state.aclose()


async def test_the_url_scheme_picks_the_backend(tmp_path: Path) -> None:
    state = await build_state(f"sqlite://{tmp_path / 's.db'}")
    assert state.backend == "sqlite"
    await state.aclose()


@pytest.mark.redis
async def test_a_redis_url_gives_redis_state(fresh_redis_url: str) -> None:
    state = await build_state(fresh_redis_url)
    assert state.backend == "redis"
    await state.aclose()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgres://user:hunter2@db/x", "unknown state URL scheme 'postgres'"),
        ("sqlite://", "needs a path"),
    ],
)
async def test_unusable_urls_are_rejected_without_echoing_them(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        await build_state(url)
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize(
    "kwargs",
    [{"ttl_seconds": 0}, {"max_history": 0}, {"cache_entries": 0}, {"max_conversations": 0}],
)
async def test_settings_that_would_store_nothing_are_rejected(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match=">"):
        await build_state(None, **kwargs)  # type: ignore[arg-type]


@pytest.mark.redis
async def test_redis_state_recovers_when_its_pooled_connection_was_dropped(
    fresh_redis_url: str,
) -> None:
    state = await build_state(fresh_redis_url)
    try:
        await state.cache.set("entry", b"v", ttl=60)  # a connection now sits in the pool
        with redis.Redis.from_url(fresh_redis_url) as admin:  # as a Redis restart would
            assert admin.client_kill_filter(_type="normal", skipme=True) >= 1
        assert await state.cache.get("entry") == b"v"
    finally:
        await state.aclose()


async def test_a_locked_sqlite_file_fails_writes_within_the_operation_timeout(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.db"
    state = await build_state(f"sqlite://{path}", bounds=Bounds(operation_timeout=0.2))
    await state.cache.set("entry", b"cached", ttl=60)
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock, indefinitely
    try:
        with pytest.raises(StateUnavailableError) as caught:
            await state.conversations.save("resp_1", "key-a", hello(), "echo")
        assert caught.value.backend == "sqlite"
        assert caught.value.summary in ("failed", "did not answer within 0.2s")
        assert "locked" in str(caught.value) or "0.2s" in str(caught.value)
        assert await state.cache.get("entry") == b"cached", "readers are not blocked (WAL)"
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    await state.conversations.save("resp_1", "key-a", hello(), "echo")
    assert await state.conversations.load("resp_1", "key-a") == Conversation(hello(), "resp_1")
    await state.aclose()


@pytest.mark.redis
async def test_every_operation_on_a_frozen_redis_fails_at_the_operation_timeout(
    own_redis: OwnRedis,
) -> None:
    bounds = Bounds(operation_timeout=0.2, breaker_threshold=100)  # each one reaches Redis
    state = await build_state(own_redis.url, bounds=bounds)
    own_redis.freeze()  # nothing is ever answered: only the timeout ends an operation
    operations: list[Callable[[], Awaitable[object]]] = [
        lambda: state.conversations.save("resp_1", "key-a", hello(), "echo"),
        lambda: state.conversations.load("resp_1", "key-a"),
        lambda: state.cache.get("entry"),
        lambda: state.cache.set("entry", b"v", ttl=60),
        lambda: state.limiter.acquire("key-a", 1, rate_per_s=1, burst=10),
        lambda: state.totals.add(call("echo", "key-a", 1, 1, 0.0)),
        lambda: state.totals.rows(0, FOREVER),
    ]
    try:
        for operation in operations:
            with pytest.raises(StateUnavailableError, match=r"did not answer within 0\.2s"):
                await operation()
    finally:
        await state.aclose()
