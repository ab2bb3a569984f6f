"""Every upstream fault the fakes can inject: exact status, bounded retries, no duplicate text,
no hung call, and a gateway that stays healthy."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import grpc
import pytest

from modelgate.config import ModelConfig, RoutingConfig, RuntimeConfig
from modelgate.routing.balancer import StatsBoard
from modelgate.v1 import chat_pb2
from tests.fakes import FakeOpenAI, Fault, Reply
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request, decode, text_of, user
from tests.waiting import RPC_S

KEY = "sk-fault-suite-secret-0123456789"
TEXT = "alpha beta gamma delta epsilon zeta"


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(required_api_key=KEY) as server:
        yield server


@pytest.fixture(scope="module")
async def served(fake: FakeOpenAI) -> AsyncIterator[Served]:
    runtime = RuntimeConfig(kind="openai", base_url=fake.url + "/v1", api_key=KEY)
    model = ModelConfig(id="gpt-4o", runtime="openai", provider="openai")
    routing = RoutingConfig(
        backoff_initial_seconds=0.01, backoff_max_seconds=0.02, breaker_min_requests=1000
    )
    async with serve(settings(runtimes={"openai": runtime}, models=[model], routing=routing)) as s:
        yield s


@pytest.fixture(autouse=True)
def _clean(fake: FakeOpenAI, served: Served) -> None:
    fake.reset()
    served.gateway.catalog.stats = StatsBoard(served.gateway.settings.routing)


RETRYABLE = [
    ("429 with retry-after", Fault.rate_limited(retry_after=0.01)),
    ("500", Fault.server_error()),
    ("502", Fault.http(502)),
    ("503 overloaded", Fault.overloaded()),
    ("reset before headers", Fault.reset()),
]


@pytest.mark.parametrize(("name", "fault"), RETRYABLE, ids=[n for n, _ in RETRYABLE])
async def test_one_retryable_fault_is_retried_and_the_call_succeeds(
    served: Served, fake: FakeOpenAI, name: str, fault: Fault
) -> None:
    fake.script(fault)
    response = await served.stub.Chat(chat_request("gpt-4o", TEXT), timeout=RPC_S)
    assert text_of(response) == TEXT
    assert len(fake.requests_to("/v1/chat/completions")) == 2


@pytest.mark.parametrize(
    ("fault", "code", "reason"),
    [
        (Fault.rate_limited(retry_after=0.01), grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMITED"),
        (Fault.server_error(), grpc.StatusCode.UNAVAILABLE, "UPSTREAM_UNAVAILABLE"),
        (Fault.http(502), grpc.StatusCode.UNAVAILABLE, "UPSTREAM_UNAVAILABLE"),
        (Fault.overloaded(), grpc.StatusCode.UNAVAILABLE, "UPSTREAM_OVERLOADED"),
        (Fault.reset(), grpc.StatusCode.UNAVAILABLE, "UPSTREAM_UNAVAILABLE"),
    ],
)
async def test_persistent_fault_exhausts_bounded_attempts_with_exact_status(
    served: Served, fake: FakeOpenAI, fault: Fault, code: grpc.StatusCode, reason: str
) -> None:
    fake.set_default(fault)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request("gpt-4o", TEXT), timeout=RPC_S)
    status = decode(caught.value)
    assert (status.code, status.reason) == (code, reason)
    assert len(fake.requests_to("/v1/chat/completions")) == 3, "never more than configured"


async def test_a_persistent_reset_names_the_upstream_host_and_port(
    served: Served, fake: FakeOpenAI
) -> None:
    fake.set_default(Fault.reset())
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request("gpt-4o", TEXT), timeout=10)
    status = decode(caught.value)
    assert f"connection reset by {fake.url.removeprefix('http://')}" in status.message
    assert status.metadata["attempts"] == "3"


async def test_a_malformed_body_is_an_invalid_response_asked_once(
    served: Served, fake: FakeOpenAI
) -> None:
    fake.script(Fault.malformed())
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request("gpt-4o", TEXT), timeout=10)
    status = decode(caught.value)
    assert (status.code, status.reason) == (
        grpc.StatusCode.UNAVAILABLE,
        "UPSTREAM_INVALID_RESPONSE",
    )
    assert "malformed JSON" in status.message
    assert len(fake.requests_to("/v1/chat/completions")) == 1, "asking again would get the same"


async def test_a_malformed_chunk_before_output_is_an_invalid_response_asked_once(
    served: Served, fake: FakeOpenAI
) -> None:
    fake.script(Fault.malformed(after_chunks=0))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for event in served.stub.StreamChat(
            chat_pb2.StreamChatRequest(model="gpt-4o", messages=[user(TEXT)]), timeout=10
        ):
            assert not event.HasField("text_delta")
    assert decode(caught.value).reason == "UPSTREAM_INVALID_RESPONSE"
    assert len(fake.requests_to("/v1/chat/completions")) == 1


STREAM_FAULTS = [
    ("reset mid-stream", Fault.reset_mid_stream(after_chunks=2)),
    ("truncated without [DONE]", Fault.truncate(after_chunks=2)),
    ("mid-stream error event", Fault.stream_error(after_chunks=2)),
    ("malformed chunk", Fault.malformed(after_chunks=2)),
]


@pytest.mark.parametrize(("name", "fault"), STREAM_FAULTS, ids=[n for n, _ in STREAM_FAULTS])
async def test_stream_fault_after_output_ends_unavailable_without_duplicates(
    served: Served, fake: FakeOpenAI, name: str, fault: Fault
) -> None:
    fake.script(fault)
    texts: list[str] = []
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for event in served.stub.StreamChat(
            chat_pb2.StreamChatRequest(model="gpt-4o", messages=[user(TEXT)]), timeout=RPC_S
        ):
            if event.HasField("text_delta"):
                texts.append(event.text_delta.text)
            assert not event.HasField("end"), "a broken stream never ends with OK"
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert texts and TEXT.startswith("".join(texts)), "no duplicated or reordered text"
    assert len(fake.requests_to("/v1/chat/completions")) == 1


async def test_truncated_stream_before_output_is_retried(served: Served, fake: FakeOpenAI) -> None:
    fake.script(Fault.truncate(after_chunks=0))
    events = [
        e
        async for e in served.stub.StreamChat(
            chat_pb2.StreamChatRequest(model="gpt-4o", messages=[user(TEXT)]), timeout=RPC_S
        )
    ]
    assert "".join(e.text_delta.text for e in events if e.HasField("text_delta")) == TEXT
    assert sum(e.HasField("attempt") for e in events) == 2


@pytest.mark.parametrize(
    "behaviour",
    [Fault.hang(), Reply(latency_ms=60_000)],
    ids=["hang forever", "slow first byte"],
)
async def test_upstream_slower_than_deadline_gives_deadline_exceeded_promptly(
    served: Served, fake: FakeOpenAI, behaviour: Fault | Reply
) -> None:
    # Neither upstream answers within pytest's 60 s timeout, so the call can only end by
    # its 0.4 s deadline; "promptly" is asserted against that, with a margin no loaded
    # machine needs (10 s), rather than against a guess of how fast this machine is.
    fake.script(behaviour)
    started = asyncio.get_running_loop().time()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request("gpt-4o", "x"), timeout=0.4)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert asyncio.get_running_loop().time() - started < 0.4 + 10
    await fake.wait_for_disconnect()  # the gateway closed the upstream request too


async def test_gateway_is_healthy_after_the_fault_matrix(served: Served) -> None:
    response = await served.stub.Chat(chat_request("gpt-4o", "still fine"), timeout=RPC_S)
    assert text_of(response) == "still fine"


async def test_provider_key_never_reaches_logs_or_statuses(
    served: Served, fake: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.script(Fault.http(401, f"Incorrect API key provided: {KEY}"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request("gpt-4o", "x"))
    status = decode(caught.value)
    assert status.reason == "UPSTREAM_AUTH_FAILED"
    assert KEY not in status.message and KEY not in str(status.metadata)
    assert "[redacted]" in status.message
    assert KEY not in caplog.text
