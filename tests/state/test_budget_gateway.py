"""Budgets through a real gateway, on every state backend: exhausted after the expected
number of echo calls, with the status, QuotaFailure and RetryInfo the contract names."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import grpc
import pytest

from modelgate.admin.v1 import admin_pb2
from modelgate.config import (
    ApiKeyConfig,
    AuthConfig,
    BudgetConfig,
    ModelConfig,
    PricingConfig,
    StateConfig,
)
from modelgate.state.budgets import DAY, budget_states, lines, window
from modelgate.v1 import chat_pb2
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request, decode, user
from tests.waiting import RPC_S, eventually

SECRETS = {"usd": "usd-key-secret", "tokens": "tokens-key-secret", "stream": "stream-secret"}
PRICED = ModelConfig(
    id="echo-priced",
    runtime="echo",
    provider="modelgate",
    capabilities=["chat", "streaming"],
    pricing=PricingConfig(input=1.0, output=1.0),
)
"""$1 per million tokens each way: "hello world" (2 in, 2 out) costs exactly $0.000004."""
ENDLESS = ModelConfig(
    id="echo-endless",
    runtime="echo",
    provider="modelgate",
    capabilities=["chat", "streaming"],
    pricing=PricingConfig(input=1.0, output=1.0),
    options={"repeat_stream": True, "token_interval_ms": 5},
)
CALL_USD = 4e-6


def _key(key_id: str, budget: BudgetConfig) -> ApiKeyConfig:
    digest = hashlib.sha256(SECRETS[key_id].encode()).hexdigest()
    return ApiKeyConfig(id=key_id, sha256=digest, budgets=[budget])


def _bearer(key_id: str) -> tuple[tuple[str, str]]:
    return (("authorization", f"Bearer {SECRETS[key_id]}"),)


@pytest.fixture
async def served(state_url: str) -> AsyncIterator[Served]:
    keys = [
        _key("usd", BudgetConfig(period="day", max_cost_usd=2.5 * CALL_USD)),
        _key("tokens", BudgetConfig(period="total", max_tokens=10)),
        _key("stream", BudgetConfig(period="month", max_tokens=1_000_000)),
    ]
    config = settings(
        echo=True,
        models=[PRICED, ENDLESS],
        auth=AuthConfig(enabled=True, keys=keys),
        state=StateConfig(url=state_url),
    )
    async with serve(config) as running:
        yield running


async def _calls_until_refused(served: Served, key_id: str) -> tuple[int, grpc.aio.AioRpcError]:
    for made in range(100):
        try:
            await served.stub.Chat(
                chat_request("echo-priced", "hello world"), metadata=_bearer(key_id), timeout=RPC_S
            )
        except grpc.aio.AioRpcError as error:
            return made, error
    raise AssertionError("the budget never ran out")


async def test_a_usd_budget_is_exhausted_after_the_expected_calls(served: Served) -> None:
    made, error = await _calls_until_refused(served, "usd")
    assert made == 3, "admitted while spent < cap: $8e-6 < $1e-5, the third goes over"
    refused = decode(error)
    assert (refused.code, refused.reason) == (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "BUDGET_EXHAUSTED",
    )
    assert refused.quota_violations == [("usd", "budget:day:usd")]
    now = datetime.now(UTC)
    reset = window(DAY, now).reset
    assert reset is not None and refused.retry_after is not None
    assert 0 < refused.retry_after <= (reset - now).total_seconds() + 1, "until UTC midnight"


async def test_a_token_budget_is_exhausted_and_a_total_one_never_says_retry(
    served: Served,
) -> None:
    made, error = await _calls_until_refused(served, "tokens")
    assert made == 3, "4 tokens a call against 10: 4, 8, then 12"
    refused = decode(error)
    assert refused.reason == "BUDGET_EXHAUSTED"
    assert refused.quota_violations == [("tokens", "budget:total:tokens")]
    assert refused.retry_after is None, "a total budget never resets"
    other = await served.stub.Chat(
        chat_request("echo-priced", "hello world"), metadata=_bearer("usd"), timeout=RPC_S
    )
    assert other.usage.output_tokens == 2, "another key's budget is its own"


async def test_a_stream_cancelled_mid_way_is_settled(served: Served) -> None:
    store = served.gateway.state.budgets  # type: ignore[union-attr]
    key = admin_pb2.ApiKey(
        id="stream", budgets=[BudgetConfig(period="month", max_tokens=1_000_000).to_proto()]
    )
    request = chat_pb2.StreamChatRequest(model="echo-endless", messages=[user("on and on")])
    call = served.stub.StreamChat(request, metadata=_bearer("stream"), timeout=RPC_S)
    deltas = 0
    async for event in call:
        deltas += event.HasField("text_delta")
        if deltas == 3:
            break
    [held] = await store.read(lines("stream", key.budgets, datetime.now(UTC)), 0.0)
    assert held.held_tokens > 0 and held.spent_tokens == 0, "in flight: held, not spent"
    call.cancel()

    async def settled() -> bool:
        [spend] = await store.read(lines("stream", key.budgets, datetime.now(UTC)), 0.0)
        return spend.held_tokens == 0 and spend.spent_tokens > 0

    await eventually(settled, what="the cancelled stream's usage settled")
    [state] = await budget_states(store, key)
    assert state.spent_tokens >= 3 + 1, "at least the deltas read and some input"
    assert state.spent_usd == pytest.approx(state.spent_tokens * 1e-6)
