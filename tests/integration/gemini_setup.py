"""A gateway over FakeGemini for the Gemini backend tests: settings, start-up, helpers.

The main runtime takes its key from an environment variable (`api_key_env`), the way
operators configure it, so every test also exercises that path and its redaction.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

from modelgate.config import ModelConfig, PricingConfig, RoutingConfig, RuntimeConfig
from modelgate.v1 import content_pb2
from tests.fakes import FakeGemini
from tests.gateways import Fixture, Served, serve, settings

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub

KEY = "gemini-test-key-0123456789abcdef"
WRONG_KEY = "gemini-wrong-key-9876543210fedc"
KEY_ENV = "GEMINI_TEST_API_KEY"
UPSTREAM = "gemini-2.5-flash"
CHAT_CAPS: Any = [
    "chat",
    "completion",
    "streaming",
    "tools",
    "vision",
    "json_schema",
    "reasoning",
]
NO_RETRIES = RoutingConfig(max_attempts_per_deployment=1, max_attempts=1, breaker_min_requests=1000)
SAFETY_OFF = {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "OFF"}
WEATHER = (
    '{"type":"object","properties":{"city":{"type":"string"},'
    '"days":{"type":"integer","minimum":1}},"required":["city"]}'
)


def gemini_settings(url: str, routing: RoutingConfig = NO_RETRIES, **runtime: Any) -> Any:
    """Runtimes `gemini` (key from KEY_ENV) and `gemini-badkey`, and the test models."""
    runtimes = {
        "gemini": RuntimeConfig(kind="gemini", base_url=url, api_key_env=KEY_ENV, **runtime),
        "gemini-badkey": RuntimeConfig(kind="gemini", base_url=url, api_key=WRONG_KEY),
    }
    models = [
        ModelConfig(
            id="gemini-test",
            runtime="gemini",
            upstream_name=UPSTREAM,
            capabilities=CHAT_CAPS,
            context_window=1_048_576,
            max_output_tokens=65_536,
            pricing=PricingConfig(input=0.3, output=2.5, cached_input=0.075),
        ),
        ModelConfig(
            id="gemini-3-test",
            runtime="gemini",
            upstream_name="gemini-3-pro-preview",
            capabilities=CHAT_CAPS,
        ),
        ModelConfig(
            id="gemini-defaults",
            runtime="gemini",
            upstream_name=UPSTREAM,
            capabilities=CHAT_CAPS,
            defaults={"temperature": 0.25, "candidateCount": 1},
            extra={
                "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "OFF"}]
            },
        ),
        ModelConfig(
            id="gemini-embed",
            runtime="gemini",
            upstream_name="gemini-embedding-001",
            capabilities=["embedding"],
        ),
        ModelConfig(id="gemini-badkey", runtime="gemini-badkey", upstream_name=UPSTREAM),
    ]
    return settings(runtimes=runtimes, models=models, routing=routing)


@contextlib.asynccontextmanager
async def gemini_gateway(fake: FakeGemini, **kwargs: Any) -> AsyncIterator[Served]:
    """A gateway over `fake` with the key in KEY_ENV for its lifetime."""
    os.environ[KEY_ENV] = KEY
    try:
        async with serve(gemini_settings(fake.url, **kwargs)) as served:
            yield served
    finally:
        os.environ.pop(KEY_ENV, None)


def gemini_fixtures(**fake_options: Any) -> tuple[Fixture, Fixture, Fixture]:
    """The fixtures `fake`, `fresh_fake` (autouse) and `gemini`, for one test module.

    Assigned to those names at a module's top they serve that module only, as an import
    says, where a conftest here would reach every integration test. `fake_options` go to
    FakeGemini (e.g. `embedding_dim`).
    """

    @pytest.fixture(scope="module")
    async def fake() -> AsyncIterator[FakeGemini]:
        """The fake Gemini API, demanding our key like the real one."""
        async with FakeGemini(required_api_key=KEY, **fake_options) as server:
            yield server

    @pytest.fixture(autouse=True)
    def fresh_fake(fake: FakeGemini) -> None:
        """Every test starts with no scripts and no recorded requests."""
        fake.reset()

    @pytest.fixture(scope="module")
    async def gemini(fake: FakeGemini) -> AsyncIterator[Stub]:
        """A stub to a gateway whose router does not retry."""
        async with gemini_gateway(fake) as served:
            yield served.stub

    return fake, fresh_fake, gemini


def path(method: str, model: str = UPSTREAM) -> str:
    """The upstream path of a model method, e.g. `generateContent`."""
    return f"/v1beta/models/{model}:{method}"


def message(role: content_pb2.Role.ValueType, *parts: content_pb2.ContentPart) -> Any:
    """A message of these parts."""
    return content_pb2.Message(role=role, parts=list(parts))


def text(value: str) -> content_pb2.ContentPart:
    """A text part."""
    return content_pb2.ContentPart(text=value)
