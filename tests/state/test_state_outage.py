"""A Redis that hangs degrades every call exactly like a Redis that is down, and quickly.

Each test runs twice against its own redis-server: once frozen with SIGSTOP
(sockets open, nothing ever answered: a hang by construction) and once
stopped (connections refused). Callers give 30 s deadlines; the state timeout
is 0.2 s, so a call that waited on Redis instead of degrading would show up as
a DEADLINE_EXCEEDED, not as a slower success. Per kind of state:

- conversation save after a chat: skipped, the chat succeeds;
- continuation (`previous_response_id`): UNAVAILABLE naming the conversation store;
- cache: a miss (the upstream answers), storing skipped;
- shared request-rate limit: `state.limiter_on_failure` (open admits, closed is UNAVAILABLE);
- usage totals: not counted, never an error.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest

from modelgate.config import ApiKeyConfig, AuthConfig, ModelConfig, StateConfig
from modelgate.v1 import chat_pb2, generation_pb2
from tests.gateways import Served, serve, settings
from tests.integration.test_cli_process import serve_refusing
from tests.rpc_helpers import Decoded, chat_request, decode, text_of, user
from tests.state.conftest import OwnRedis

pytestmark = pytest.mark.redis

STATE_TIMEOUT = 0.2
DEADLINE = 30.0
"""Every call's deadline: 150 state timeouts."""
THRESHOLD = 2
GREEDY = generation_pb2.GenerationConfig(temperature=0)
FREE = (("authorization", "Bearer free-secret"),)
SLOW = (("authorization", "Bearer slow-secret"),)
"""A key allowed one request per minute (a burst of one)."""


def _key(key_id: str, secret: str, **fields: Any) -> ApiKeyConfig:
    return ApiKeyConfig(id=key_id, sha256=hashlib.sha256(secret.encode()).hexdigest(), **fields)


def gateway_settings(url: str, *, cooldown: float = 600.0, limiter: str = "open") -> Any:
    cached = ModelConfig(
        id="echo-cached", runtime="echo", provider="modelgate", cache=True, capabilities=["chat"]
    )
    keys = [_key("free", "free-secret"), _key("slow", "slow-secret", requests_per_minute=1)]
    state = StateConfig(
        url=url,
        operation_timeout_seconds=STATE_TIMEOUT,
        breaker_failure_threshold=THRESHOLD,
        breaker_cooldown_seconds=cooldown,
        limiter_on_failure=limiter,  # type: ignore[arg-type]
    )
    return settings(
        echo=True, models=[cached], auth=AuthConfig(enabled=True, keys=keys), state=state
    )


@dataclass
class Outage:
    """A gateway on its own Redis, and the fault this run inflicts on that Redis."""

    served: Served
    redis: OwnRedis
    kind: str

    def begin(self) -> None:
        """Freeze or stop the Redis the gateway is connected to."""
        if self.kind == "frozen":
            self.redis.freeze()
        else:
            self.redis.stop()

    async def chat(self, text: str, metadata: Any = FREE, **fields: Any) -> chat_pb2.ChatResponse:
        response: chat_pb2.ChatResponse = await self.served.stub.Chat(
            chat_request(fields.pop("model", "echo"), text, **fields),
            metadata=metadata,
            timeout=DEADLINE,
        )
        return response

    async def refused(self, text: str, metadata: Any = FREE, **fields: Any) -> Decoded:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await self.chat(text, metadata, **fields)
        return decode(caught.value)


async def _outage(own_redis: OwnRedis, kind: str, **config: Any) -> AsyncIterator[Outage]:
    async with serve(gateway_settings(own_redis.url, **config)) as served:
        yield Outage(served, own_redis, kind)  # the gateway stops before Redis is thawed


@pytest.fixture(params=["frozen", "down"])
async def outage(request: pytest.FixtureRequest, own_redis: OwnRedis) -> AsyncIterator[Outage]:
    async for running in _outage(own_redis, request.param):
        yield running


@pytest.fixture(params=["frozen", "down"])
async def closed_outage(
    request: pytest.FixtureRequest, own_redis: OwnRedis
) -> AsyncIterator[Outage]:
    async for running in _outage(own_redis, request.param, limiter="closed"):
        yield running


async def test_plain_calls_succeed_and_are_not_held_by_redis(outage: Outage) -> None:
    outage.begin()
    started = time.monotonic()
    for n in range(4):
        assert text_of(await outage.chat(f"still here {n}")) == f"still here {n}"
        stream = chat_pb2.StreamChatRequest(model="echo", messages=[user(f"streamed {n}")])
        call = outage.served.stub.StreamChat(stream, metadata=FREE, timeout=DEADLINE)
        events = [e async for e in call]
        assert "".join(e.text_delta.text for e in events) == f"streamed {n}"
        assert events[-1].HasField("end")
    assert time.monotonic() - started < DEADLINE, "sanity: far below one caller deadline"


async def test_continuation_is_unavailable_naming_the_conversation_store(outage: Outage) -> None:
    first = await outage.chat("my name is Ada")
    outage.begin()
    errors = [
        await outage.refused("who am I?", previous_response_id=first.id)
        for _ in range(THRESHOLD + 1)
    ]
    prefix = "the gateway's conversation store is unavailable: its redis state backend"
    for error in errors:
        assert error.code == grpc.StatusCode.UNAVAILABLE
        assert error.reason == "STATE_UNAVAILABLE" and error.domain == "modelgate"
        assert error.metadata == {"dependency": "state", "backend": "redis"}
        assert error.message.startswith(prefix) and error.message.endswith("; retry shortly")
    fault = "did not answer within 0.2s" if outage.kind == "frozen" else "failed"
    assert errors[0].message == f"{prefix} {fault}; retry shortly"
    assert errors[-1].message == f"{prefix} is skipped after repeated failures; retry shortly"
    assert errors[-1].retry_after is not None and errors[-1].retry_after > 0


async def test_a_cached_answer_becomes_a_miss_answered_from_upstream(outage: Outage) -> None:
    await outage.chat("cache me", model="echo-cached", generation=GREEDY)
    hit = await outage.chat("cache me", model="echo-cached", generation=GREEDY)
    assert hit.metadata["cache"] == "hit", "the cache works before the outage"
    outage.begin()
    for _ in range(THRESHOLD + 1):
        fresh = await outage.chat("cache me", model="echo-cached", generation=GREEDY)
        assert "cache" not in fresh.metadata and text_of(fresh) == "cache me"


async def test_a_rate_limited_key_is_admitted_when_the_limiter_fails_open(
    outage: Outage,
) -> None:
    await outage.chat("one", SLOW)
    limited = await outage.refused("two", SLOW)
    assert limited.reason == "QUOTA_EXCEEDED", "the shared bucket works before the outage"
    outage.begin()
    for n in range(THRESHOLD + 1):
        assert text_of(await outage.chat(f"admitted {n}", SLOW)) == f"admitted {n}"


async def test_a_rate_limited_key_is_unavailable_when_the_limiter_fails_closed(
    closed_outage: Outage,
) -> None:
    closed_outage.begin()
    for _ in range(THRESHOLD + 1):
        error = await closed_outage.refused("checked?", SLOW)
        assert error.code == grpc.StatusCode.UNAVAILABLE and error.reason == "STATE_UNAVAILABLE"
        assert error.message.startswith("the gateway's rate limiter is unavailable: its redis")
    assert text_of(await closed_outage.chat("no limit", FREE)) == "no limit"


async def test_a_thawed_redis_is_probed_and_used_again(own_redis: OwnRedis) -> None:
    async for outage in _outage(own_redis, "frozen", cooldown=0.3):
        first = await outage.chat("my name is Ada")
        outage.begin()
        for _ in range(THRESHOLD):
            await outage.refused("who am I?", previous_response_id=first.id)
        outage.redis.thaw()
        deadline = time.monotonic() + DEADLINE
        while True:  # skipped until the cooldown passes, then one call probes
            try:
                second = await outage.chat("who am I?", previous_response_id=first.id)
                break
            except grpc.aio.AioRpcError as exc:
                assert decode(exc).code == grpc.StatusCode.UNAVAILABLE
                assert time.monotonic() < deadline, "Redis answers again but is never probed"
                await asyncio.sleep(0.05)
        assert second.usage.input_tokens == 4 + 4 + 3, "the stored history came back"
        await outage.chat("cache me", model="echo-cached", generation=GREEDY)
        hit = await outage.chat("cache me", model="echo-cached", generation=GREEDY)
        assert hit.metadata["cache"] == "hit"


@pytest.mark.parametrize("kind", ["frozen", "down"])
def test_serve_exits_with_one_line_when_redis_cannot_be_opened(
    own_redis: OwnRedis, kind: str
) -> None:
    if kind == "frozen":
        own_redis.freeze()
    else:
        own_redis.stop()
    env = {"MODELGATE_STATE__URL": own_redis.url, "MODELGATE_STATE__CONNECT_TIMEOUT_SECONDS": "0.5"}
    # A frozen Redis never answers: only the bound ends start-up.
    result = serve_refusing(env, timeout=DEADLINE * 2)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    fault = "did not answer within 0.5s" if kind == "frozen" else "failed: "
    line = f"error: state backend unavailable at start-up: Redis state at {own_redis.url} {fault}"
    assert result.stderr.strip().splitlines()[-1].startswith(line), result.stderr
