"""Session fixtures: a real gateway on a loopback port and real channels to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import grpc
import pytest

from modelgate.app import Gateway
from modelgate.config import ModelConfig, PricingConfig, Settings
from modelgate.v1 import gateway_pb2_grpc

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub


def echo_test_settings() -> Settings:
    """The default echo gateway plus slow echo variants for deadline and cancel tests.

    echo-slow answers after 60 s, past pytest's timeout: a deadline test that expects
    DEADLINE_EXCEEDED can never see the answer instead, however slow the machine.
    """
    slow = ModelConfig(
        id="echo-slow",
        runtime="echo",
        provider="modelgate",
        capabilities=["chat", "completion", "streaming"],
        options={"latency_ms": 60_000},
        context_window=100,
    )
    trickle = ModelConfig(
        id="echo-trickle",
        runtime="echo",
        provider="modelgate",
        capabilities=["chat", "streaming"],
        options={"token_interval_ms": 200},
    )
    embed_only = ModelConfig(
        id="echo-embed",
        runtime="echo",
        provider="modelgate",
        capabilities=["embedding"],
        embedding_dimension=16,
        pricing=PricingConfig(input=0.1),
    )
    priced = ModelConfig(
        id="echo-priced",
        runtime="echo",
        provider="modelgate",
        capabilities=["chat", "streaming"],
        pricing=PricingConfig(input=2.0, output=8.0),
    )
    small = ModelConfig(
        id="echo-small",
        runtime="echo",
        provider="modelgate",
        capabilities=["chat", "streaming"],
        context_window=50,
    )
    return Settings(models=[slow, trickle, embed_only, priced, small], _env_file=None)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
async def gateway() -> AsyncIterator[Gateway]:
    """An in-process gateway on a free loopback port, drained at session end."""
    server = Gateway(echo_test_settings())
    await server.start(host="127.0.0.1", port=0)
    yield server
    await server.stop(grace=1)


@pytest.fixture(scope="session")
async def channel(gateway: Gateway) -> AsyncIterator[grpc.aio.Channel]:
    """A real HTTP/2 channel to the gateway."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as chan:
        yield chan


@pytest.fixture(scope="session")
def stub(channel: grpc.aio.Channel) -> ModelGatewayAsyncStub:
    """The generated stub: tests speak the raw contract."""
    return gateway_pb2_grpc.ModelGatewayStub(channel)
