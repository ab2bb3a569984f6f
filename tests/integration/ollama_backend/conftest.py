"""The Ollama suite's fake Ollama and the gateway in front of it (one of each per module)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import grpc
import pytest

from modelgate.app import Gateway
from modelgate.v1 import gateway_pb2_grpc
from tests.fakes.ollama_fake import FakeOllama
from tests.integration.ollama_backend.support import ollama_settings, served_models

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeOllama]:
    """The fake Ollama daemon on a free port."""
    server = FakeOllama(models=served_models())
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(scope="module")
async def gw(fake: FakeOllama) -> AsyncIterator[Gateway]:
    """A gateway whose start-up discovery found the fake's models."""
    gateway = Gateway(ollama_settings(fake.url))
    await gateway.start(host="127.0.0.1", port=0)
    yield gateway
    await gateway.stop(grace=1)


@pytest.fixture(scope="module")
async def stub(gw: Gateway) -> AsyncIterator[Stub]:
    """A real channel to the Ollama gateway (overrides the echo gateway's stub)."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gw.port}") as channel:
        yield gateway_pb2_grpc.ModelGatewayStub(channel)


@pytest.fixture(autouse=True)
async def clean_fake(fake: FakeOllama, gw: Gateway) -> AsyncIterator[None]:
    """Each test starts from the same served models, no scripts and no recordings."""
    fake.reset()
    yield
    fake.reset()
    fake.set_models(served_models())
    await gw.catalog.refresh()
    fake.reset()
