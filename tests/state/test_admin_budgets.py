"""Budgets set through the admin API are enforced like the configuration's, and GetKey and
ListKeys report each budget's spend so far; on memory, SQLite and Redis."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import grpc
import pytest
from google.protobuf import field_mask_pb2

from modelgate.admin.v1 import admin_pb2, admin_pb2_grpc
from modelgate.config import (
    AdminConfig,
    AdminKeyConfig,
    ApiKeyConfig,
    AuthConfig,
    BudgetConfig,
    ModelConfig,
    PricingConfig,
    StateConfig,
)
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request, decode
from tests.waiting import RPC_S

ADMIN = (("authorization", "Bearer admin-secret-for-budget-tests-0123"),)
STATIC_SECRET = "static-budget-secret-0123456789"
PRICED = ModelConfig(
    id="echo-priced",
    runtime="echo",
    provider="modelgate",
    capabilities=["chat"],
    pricing=PricingConfig(input=1.0, output=1.0),
)
"""$1 per million tokens each way: "hello world" (2 in, 2 out) costs $0.000004."""
CALL_USD = 4e-6


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@pytest.fixture
async def served(state_url: str) -> AsyncIterator[Served]:
    static = ApiKeyConfig(
        id="static",
        sha256=_digest(STATIC_SECRET),
        budgets=[BudgetConfig(period="month", max_tokens=1000)],
    )
    config = settings(
        echo=True,
        models=[PRICED],
        auth=AuthConfig(enabled=True, keys=[static]),
        admin=AdminConfig(keys=[AdminKeyConfig(id="ops", sha256=_digest(ADMIN[0][1][7:]))]),
        state=StateConfig(url=state_url),
    )
    async with serve(config) as running:
        yield running


async def _chat(served: Served, secret: str) -> None:
    await served.stub.Chat(
        chat_request("echo-priced", "hello world"),
        metadata=(("authorization", f"Bearer {secret}"),),
        timeout=RPC_S,
    )


async def test_an_admin_made_budget_is_enforced_and_its_spend_reported(served: Served) -> None:
    admin = admin_pb2_grpc.AdminServiceStub(served.channel)
    budget = admin_pb2.Budget(period=admin_pb2.BUDGET_PERIOD_DAY, max_cost_usd=2.5 * CALL_USD)
    created = await admin.CreateKey(
        admin_pb2.CreateKeyRequest(key=admin_pb2.ApiKey(id="team-a", budgets=[budget])),
        metadata=ADMIN,
        timeout=RPC_S,
    )
    for _ in range(3):
        await _chat(served, created.secret)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await _chat(served, created.secret)
    error = decode(refused.value)
    assert (error.code, error.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "BUDGET_EXHAUSTED")
    assert error.quota_violations == [("team-a", "budget:day:usd")]

    got = await admin.GetKey(admin_pb2.GetKeyRequest(id="team-a"), metadata=ADMIN, timeout=RPC_S)
    [state] = got.key.budget_states
    assert state.budget == budget
    assert state.spent_usd == pytest.approx(3 * CALL_USD)
    assert state.spent_tokens == 12
    assert state.HasField("reset_time"), "a day budget resets"


async def test_raising_a_budget_through_update_admits_again(served: Served) -> None:
    admin = admin_pb2_grpc.AdminServiceStub(served.channel)
    tight = admin_pb2.Budget(period=admin_pb2.BUDGET_PERIOD_TOTAL, max_tokens=4)
    created = await admin.CreateKey(
        admin_pb2.CreateKeyRequest(key=admin_pb2.ApiKey(id="team-b", budgets=[tight])),
        metadata=ADMIN,
        timeout=RPC_S,
    )
    await _chat(served, created.secret)
    with pytest.raises(grpc.aio.AioRpcError):
        await _chat(served, created.secret)
    roomy = admin_pb2.Budget(period=admin_pb2.BUDGET_PERIOD_TOTAL, max_tokens=100)
    await admin.UpdateKey(
        admin_pb2.UpdateKeyRequest(
            key=admin_pb2.ApiKey(id="team-b", budgets=[roomy]),
            update_mask=field_mask_pb2.FieldMask(paths=["budgets"]),
        ),
        metadata=ADMIN,
        timeout=RPC_S,
    )
    await _chat(served, created.secret)  # the update is seen at once on this replica


async def test_list_keys_reports_a_config_key_s_spend(served: Served) -> None:
    await _chat(served, STATIC_SECRET)
    admin = admin_pb2_grpc.AdminServiceStub(served.channel)
    listed = await admin.ListKeys(admin_pb2.ListKeysRequest(), metadata=ADMIN, timeout=RPC_S)
    [static] = [key for key in listed.keys if key.id == "static"]
    assert static.source == admin_pb2.KEY_SOURCE_CONFIG
    [state] = static.budget_states
    assert (state.budget.max_tokens, state.spent_tokens) == (1000, 4)
