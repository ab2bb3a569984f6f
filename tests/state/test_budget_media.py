"""Budgets around the media RPCs through a real gateway, on every state backend: priced echo
images and speech exhaust a USD budget after the expected number of calls, and a call in
flight holds the documented estimate (count x the highest matching per-image price)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import grpc
import pytest

from modelgate.config import (
    ApiKeyConfig,
    AuthConfig,
    BudgetConfig,
    ImagePriceConfig,
    ModelConfig,
    PricingConfig,
    StateConfig,
)
from modelgate.state.budgets import lines, nanos
from modelgate.v1 import audio_pb2, image_pb2
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import decode
from tests.waiting import RPC_S, eventually

IMAGE_USD = 0.001
SPEECH_PER_MILLION = 100.0
TEXT = "hello there"
"""11 characters: $0.0011 a Speak call at $100 per million characters."""
MEDIA: Any = ["image_generation", "speech", "transcription"]
PRICED = ModelConfig(
    id="echo-media-priced",
    runtime="echo",
    capabilities=MEDIA,
    pricing=PricingConfig(
        images=[
            ImagePriceConfig(size="8x8", quality="hd", per_image=0.08),
            ImagePriceConfig(per_image=IMAGE_USD),
        ],
        speech_per_million_characters=SPEECH_PER_MILLION,
    ),
)
SLOW = PRICED.model_copy(update={"id": "echo-media-slow", "options": {"latency_ms": 60_000}})
BUDGETS = {
    "images": BudgetConfig(period="day", max_cost_usd=2.5 * IMAGE_USD),
    "speech": BudgetConfig(period="month", max_cost_usd=2.5 * len(TEXT) * SPEECH_PER_MILLION / 1e6),
    "held": BudgetConfig(period="total", max_cost_usd=100.0),
}


def _bearer(key_id: str) -> tuple[tuple[str, str]]:
    return (("authorization", f"Bearer secret-of-{key_id}-0123456789"),)


@pytest.fixture
async def served(state_url: str) -> AsyncIterator[Served]:
    keys = [
        ApiKeyConfig(
            id=key_id,
            sha256=hashlib.sha256(f"secret-of-{key_id}-0123456789".encode()).hexdigest(),
            budgets=[budget],
        )
        for key_id, budget in BUDGETS.items()
    ]
    config = settings(
        echo=True,
        models=[PRICED, SLOW],
        auth=AuthConfig(enabled=True, keys=keys),
        state=StateConfig(url=state_url),
    )
    async with serve(config) as running:
        yield running


async def _drain(call: Any) -> list[Any]:
    return [event async for event in call]


async def _until_refused(make_call: Any) -> tuple[int, grpc.aio.AioRpcError]:
    for made in range(50):
        try:
            await _drain(make_call())
        except grpc.aio.AioRpcError as error:
            return made, error
    raise AssertionError("the budget never ran out")


async def test_a_usd_budget_is_exhausted_by_priced_image_generation(served: Served) -> None:
    request = image_pb2.GenerateImageRequest(model=PRICED.id, prompt="a fox", size="8x4")
    made, error = await _until_refused(
        lambda: served.stub.GenerateImage(request, metadata=_bearer("images"), timeout=RPC_S)
    )
    assert made == 3, "$0.001 an image against $0.0025: admitted at 0, 0.001, 0.002"
    refused = decode(error)
    assert (refused.code, refused.reason) == (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "BUDGET_EXHAUSTED",
    )
    assert refused.quota_violations == [("images", "budget:day:usd")]


async def test_a_usd_budget_is_exhausted_by_priced_speech(served: Served) -> None:
    request = audio_pb2.SpeakRequest(model=PRICED.id, text=TEXT)
    made, error = await _until_refused(
        lambda: served.stub.Speak(request, metadata=_bearer("speech"), timeout=RPC_S)
    )
    assert made == 3, "11 characters at $100 per million, 2.5 calls' worth of budget"
    assert decode(error).quota_violations == [("speech", "budget:month:usd")]


async def test_an_image_call_in_flight_holds_count_times_the_highest_matching_price(
    served: Served,
) -> None:
    store = served.gateway.state.budgets  # type: ignore[union-attr]
    budget = [BUDGETS["held"].to_proto()]
    request = image_pb2.GenerateImageRequest(
        model=SLOW.id, prompt="a fox", size="8x8", quality="hd", count=3
    )
    call = served.stub.GenerateImage(request, metadata=_bearer("held"), timeout=RPC_S)

    async def held() -> bool:
        [spend] = await store.read(lines("held", budget, datetime.now(UTC)), 0.0)
        return bool(spend.held_nanos)

    await eventually(held, what="the call's hold")
    [spend] = await store.read(lines("held", budget, datetime.now(UTC)), 0.0)
    assert spend.held_nanos == nanos(3 * 0.08), "both rows match 8x8 hd: the higher, per image"
    assert spend.held_tokens == request.ByteSize() + 3 * 4096
    call.cancel()

    async def released() -> bool:
        [spend] = await store.read(lines("held", budget, datetime.now(UTC)), 0.0)
        return spend.held_nanos == 0

    await eventually(released, what="the cancelled call's hold released")
    [spend] = await store.read(lines("held", budget, datetime.now(UTC)), 0.0)
    assert spend.spent_nanos == 0, "cancelled before any output: nothing billed"
