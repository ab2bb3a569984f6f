"""The Prometheus endpoint of a real gateway: GenAI series to the OTel conventions (the
server side per RPC, the client side per upstream attempt), process series, cache lookups
and hits, and a breaker state set that follows the breaker."""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import AsyncIterator

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from modelgate.config import (
    ModelConfig,
    PricingConfig,
    RoutingConfig,
    RuntimeConfig,
    TelemetryConfig,
)
from modelgate.routing.balancer import StatsBoard
from modelgate.telemetry.genai_metrics import DURATION_BUCKETS, TIME_TO_FIRST_TOKEN_BUCKETS
from modelgate.v1 import chat_pb2, generation_pb2
from tests.fakes import FakeOpenAI, Fault, Reply
from tests.gateways import serve, settings
from tests.ports import free_port
from tests.rpc_helpers import chat_request, user
from tests.waiting import RPC_S

OK = {
    "gen_ai_operation_name": "chat",
    "gen_ai_provider_name": "openai",
    "gen_ai_request_model": "gpt-4o",
    "gen_ai_response_model": "gpt-4o",
}


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


def _config(fake: FakeOpenAI, metrics_port: int, **fields: object) -> object:
    runtimes = {
        "openai": RuntimeConfig(
            kind="openai", base_url=fake.url + "/v1", api_key="sk-metrics-test-key"
        ),
        "down": RuntimeConfig(
            kind="openai",
            base_url=f"http://127.0.0.1:{free_port()}/v1",
            api_key="sk-metrics-test-key",
        ),
    }
    models = [
        ModelConfig(
            id="gpt-4o",
            runtime="openai",
            provider="openai",
            pricing=PricingConfig(input=1.0, output=2.0),
            cache=True,
        ),
        ModelConfig(id="down", runtime="down", provider="openai"),
    ]
    return settings(
        runtimes=runtimes,
        models=models,
        telemetry=TelemetryConfig(metrics_port=metrics_port),
        **fields,
    )


async def _scrape(port: int) -> list[Sample]:
    def read() -> str:
        url = f"http://127.0.0.1:{port}/metrics"
        with urllib.request.urlopen(url, timeout=RPC_S) as response:
            return str(response.read().decode())

    page = await asyncio.to_thread(read)
    return [s for family in text_string_to_metric_families(page) for s in family.samples]


def _value(samples: list[Sample], name: str, **labels: str) -> float | None:
    found = [s.value for s in samples if s.name == name and s.labels == labels]
    assert len(found) <= 1, f"{name}{labels} is ambiguous"
    return found[0] if found else None


async def test_scrape_shows_genai_series_with_their_attributes_and_process_series(
    fake: FakeOpenAI,
) -> None:
    port = free_port()
    routing = RoutingConfig(backoff_initial_seconds=0.001, backoff_max_seconds=0.002)
    async with serve(_config(fake, port, routing=routing)) as running:  # type: ignore[arg-type]
        cached = chat_request(
            "gpt-4o",
            "one two three",
            generation=generation_pb2.GenerationConfig(temperature=0),
            cache_control=generation_pb2.CacheControl(mode=generation_pb2.CACHE_MODE_USE),
        )
        first = await running.stub.Chat(cached)
        again = await running.stub.Chat(cached)
        assert again.metadata["cache"] == "hit"
        request = chat_pb2.StreamChatRequest(model="gpt-4o", messages=[user("a b c d")])
        events = [e async for e in running.stub.StreamChat(request)]
        streamed = events[-1].end.usage
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await running.stub.Chat(chat_request("down", "x"), timeout=RPC_S)
        assert failed.value.code() == grpc.StatusCode.UNAVAILABLE
        samples = await _scrape(port)

    duration = "gen_ai_server_request_duration_seconds_count"
    assert _value(samples, duration, **OK, error_type="") == 3, "two Chats and a StreamChat"
    down = {
        **OK,
        "gen_ai_request_model": "down",
        "gen_ai_response_model": "",
        "gen_ai_provider_name": "",
    }
    assert _value(samples, duration, **down, error_type="UNAVAILABLE") == 1
    usage = "gen_ai_client_token_usage_sum"
    inputs = 2 * first.usage.input_tokens + streamed.input_tokens
    assert _value(samples, usage, **OK, error_type="", gen_ai_token_type="input") == inputs
    outputs = 2 * first.usage.output_tokens + streamed.output_tokens
    assert _value(samples, usage, **OK, error_type="", gen_ai_token_type="output") == outputs
    ttft = "gen_ai_server_time_to_first_token_seconds"
    assert _value(samples, ttft + "_count", **OK, error_type="") == 1, "streams only"
    bounds = sorted(
        float(s.labels["le"])
        for s in samples
        if s.name == ttft + "_bucket" and s.labels["error_type"] == ""
    )
    assert bounds == [*TIME_TO_FIRST_TOKEN_BUCKETS, float("inf")], "the conventions' buckets"
    per_token = "gen_ai_server_time_per_output_token_seconds_count"
    assert streamed.output_tokens > 1
    assert _value(samples, per_token, **OK, error_type="") == 1
    assert _value(samples, "modelgate_cache_lookups_total", model="gpt-4o") == 2
    assert _value(samples, "modelgate_cache_hits_total", model="gpt-4o") == 1
    assert (_value(samples, "modelgate_cost_usd_total", model="gpt-4o") or 0) > 0
    assert not [s for s in samples if "api_key" in s.labels], "no per-key label"
    names = {s.name for s in samples}
    assert "process_cpu_seconds_total" in names
    assert "process_resident_memory_bytes" in names
    assert "python_info" in names
    assert "python_gc_collections_total" in names


async def test_client_duration_is_one_observation_per_upstream_attempt(fake: FakeOpenAI) -> None:
    port = free_port()
    routing = RoutingConfig(backoff_initial_seconds=0.001, backoff_max_seconds=0.002)
    upstream = fake.url.split("//")[1].split("/")[0].split(":")
    attempt = {**OK, "server_address": upstream[0], "server_port": upstream[1]}
    duration = "gen_ai_client_operation_duration_seconds"
    async with serve(_config(fake, port, routing=routing)) as running:  # type: ignore[arg-type]
        await running.stub.Chat(chat_request("gpt-4o", "one"))
        after_chat = await _scrape(port)
        # The first token at once, the next two 0.1 s apart: the stream lasts 0.2 s at least.
        fake.script(Reply(text="a b c", ttft_ms=0, tokens_per_s=10))
        request = chat_pb2.StreamChatRequest(model="gpt-4o", messages=[user("a b c")])
        events = [e async for e in running.stub.StreamChat(request)]
        assert events[-1].HasField("end")
        after_stream = await _scrape(port)
        fake.script(Fault.http(503))  # retried: the second attempt answers
        retried = await running.stub.Chat(chat_request("gpt-4o", "two"))
        assert retried.metadata["attempts"] == "2"
        samples = await _scrape(port)

    assert _value(after_chat, duration + "_count", **attempt, error_type="") == 1
    assert _value(after_stream, duration + "_count", **attempt, error_type="") == 2
    stream_seconds = (_value(after_stream, duration + "_sum", **attempt, error_type="") or 0) - (
        _value(after_chat, duration + "_sum", **attempt, error_type="") or 0
    )
    assert stream_seconds >= 0.2, "a stream is timed until its end, not its first event"
    assert _value(samples, duration + "_count", **attempt, error_type="") == 3
    failed = {**attempt, "gen_ai_response_model": "", "error_type": "UPSTREAM_OVERLOADED"}
    assert _value(samples, duration + "_count", **failed) == 1, "the 503 attempt"
    served = "gen_ai_server_request_duration_seconds_count"
    assert _value(samples, served, **OK, error_type="") == 3, "one per RPC, retries inside"
    bounds = sorted(
        float(s.labels["le"])
        for s in samples
        if s.name == duration + "_bucket" and s.labels["error_type"] == ""
    )
    assert bounds == [*DURATION_BUCKETS, float("inf")], "the conventions' buckets"
    usage = {s.name for s in samples if "gen_ai_client_token_usage" in s.name}
    assert {s.labels.get("server_address") for s in samples if s.name in usage} == {None}, (
        "tokens are recorded per RPC only (no attempt-side twin)"
    )


class Clock:
    """The breakers' clock, moved only by the test (no waiting through the cooldown)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_breaker_state_gauge_follows_the_breaker(fake: FakeOpenAI) -> None:
    port = free_port()
    routing = RoutingConfig(
        backoff_initial_seconds=0.001,
        backoff_max_seconds=0.002,
        breaker_min_requests=1,
        breaker_cooldown_seconds=30,
        max_attempts_per_deployment=1,
    )
    async with serve(_config(fake, port, routing=routing)) as running:  # type: ignore[arg-type]
        clock = Clock()
        running.gateway.catalog.stats = StatsBoard(routing, clock)

        async def states() -> dict[str, float]:
            samples = await _scrape(port)
            return {
                s.labels["state"]: s.value
                for s in samples
                if s.name == "modelgate_breaker_state" and s.labels["model"] == "down"
            }

        await running.stub.Chat(chat_request("gpt-4o", "warm"))  # another deployment's traffic
        assert await states() == {}, "no series before the deployment saw traffic"
        with pytest.raises(grpc.aio.AioRpcError):
            await running.stub.Chat(chat_request("down", "x"), timeout=RPC_S)
        assert await states() == {"closed": 0.0, "open": 1.0, "half_open": 0.0}
        clock.now += 31
        assert await states() == {"closed": 0.0, "open": 0.0, "half_open": 1.0}
