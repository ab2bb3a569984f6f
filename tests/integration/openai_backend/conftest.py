"""The OpenAI backend suite's fake OpenAI and the gateway serving it (one of each per module)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from modelgate.config import ModelConfig, PricingConfig, RuntimeConfig
from tests.fakes import FakeOpenAI
from tests.gateways import Served, serve, settings
from tests.integration.openai_backend.support import API_KEY


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(required_api_key=API_KEY) as server:
        yield server


@pytest.fixture(scope="module")
async def served(fake: FakeOpenAI) -> AsyncIterator[Served]:
    runtime = RuntimeConfig(kind="openai", base_url=fake.url + "/v1", api_key=API_KEY)
    models = [
        ModelConfig(
            id="gpt-4o",
            runtime="openai",
            provider="openai",
            capabilities=["chat", "completion", "streaming", "tools", "vision", "json_schema"],
            pricing=PricingConfig(input=2.5, output=10.0),
        ),
        ModelConfig(
            id="text-embedding-3-small",
            runtime="openai",
            provider="openai",
            capabilities=["embedding"],
            embedding_dimension=8,
        ),
        ModelConfig(
            id="gpt-4o-responses",
            runtime="openai",
            provider="openai",
            upstream_name="gpt-4o",
            api="responses",
            conversation="upstream",
            capabilities=["chat", "streaming", "tools"],
        ),
    ]
    async with serve(settings(runtimes={"openai": runtime}, models=models)) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(fake: FakeOpenAI) -> None:
    fake.reset()
