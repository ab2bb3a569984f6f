"""What one caller key can see of another: cached answers, and per-key metric series.

The response cache is scoped per key unless the operator shares it (`state.cache_scope`),
and Prometheus series carry no key label unless the operator opts in
(`telemetry.metrics_key_label`). Both ways, through a real gateway with two keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from modelgate.config import (
    AccessLogConfig,
    ApiKeyConfig,
    AuthConfig,
    ModelConfig,
    PricingConfig,
    StateConfig,
    TelemetryConfig,
)
from modelgate.v1 import generation_pb2
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request
from tests.waiting import RPC_S

SECRETS = {"team-a": "sk-team-a-0123456789abcdef", "team-b": "sk-team-b-0123456789abcdef"}
GREEDY = generation_pb2.GenerationConfig(temperature=0)
PRICED = ModelConfig(
    id="echo-priced",
    runtime="echo",
    provider="modelgate",
    capabilities=["chat", "streaming"],
    pricing=PricingConfig(input=1.0, output=2.0),
    cache=True,
)


def _config(**fields: Any) -> Any:
    keys = [
        ApiKeyConfig(id=name, sha256=hashlib.sha256(secret.encode()).hexdigest())
        for name, secret in SECRETS.items()
    ]
    return settings(
        echo=True,
        models=[PRICED],
        auth=AuthConfig(enabled=True, keys=keys),
        access_log=AccessLogConfig(enabled=False),
        **fields,
    )


async def _ask(served: Served, key: str, text: str = "what did the other team ask?") -> bool:
    """Whether `key`'s greedy Chat was answered from the cache."""
    answer = await served.stub.Chat(
        chat_request("echo-priced", text, generation=GREEDY),
        metadata=[("authorization", f"Bearer {SECRETS[key]}")],
        timeout=RPC_S,
    )
    return answer.metadata.get("cache") == "hit"


@pytest.fixture(params=["key", "shared"])
async def scoped(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, Served]]:
    async with serve(_config(state=StateConfig(cache_scope=request.param))) as running:
        yield request.param, running


async def test_a_cached_answer_reaches_another_key_only_when_the_cache_is_shared(
    scoped: tuple[str, Served],
) -> None:
    scope, served = scoped
    assert await _ask(served, "team-a") is False, "first ask: a miss, stored"
    assert await _ask(served, "team-a") is True, "same key: a hit either way"
    assert await _ask(served, "team-b") is (scope == "shared")
    if scope == "key":
        assert await _ask(served, "team-b") is True, "team-b's own entry now"


def _samples(served: Served) -> list[Any]:
    metrics = served.gateway.metrics
    assert metrics is not None
    return [s for family in metrics.scrape.collect() for s in family.samples]


@pytest.mark.parametrize("key_label", [False, True])
async def test_token_and_cost_series_carry_the_key_only_when_asked(key_label: bool) -> None:
    telemetry = TelemetryConfig(metrics=True, metrics_key_label=key_label)
    async with serve(_config(telemetry=telemetry)) as served:
        await _ask(served, "team-a", "first")
        await _ask(served, "team-b", "second")
        samples = _samples(served)
    keyed = {s.name: s.labels.get("api_key_id") for s in samples if "api_key_id" in s.labels}
    cost = [s for s in samples if s.name == "modelgate_cost_usd_total"]
    tokens = [s for s in samples if s.name == "gen_ai_client_token_usage_count"]
    assert cost and all(s.value > 0 for s in cost) and tokens
    if not key_label:
        assert keyed == {}, "no series is labelled per key by default"
        return
    assert {s.labels["api_key_id"] for s in cost} == {"team-a", "team-b"}
    assert {s.labels["api_key_id"] for s in tokens} == {"team-a", "team-b"}
    assert set(keyed) <= {
        "modelgate_cost_usd_total",
        "modelgate_cost_usd_created",
        *(f"gen_ai_client_token_usage{end}" for end in ("_bucket", "_count", "_sum", "_created")),
    }, "only the token and cost series"
