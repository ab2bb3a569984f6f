"""The Anthropic backend suite's gateway and wire-faithful fake (one of each per module)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import grpc
import pytest

from modelgate.app import Gateway
from modelgate.v1 import gateway_pb2_grpc
from tests.fakes.anthropic_fake import FakeAnthropic
from tests.integration.anthropic_backend.support import KEY, NO_RETRIES, _settings

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeAnthropic]:
    """The fake Anthropic API, demanding our key like the real one."""
    server = FakeAnthropic(required_api_key=KEY)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(autouse=True)
def fresh_fake(fake: FakeAnthropic) -> None:
    """Every test starts with no scripts and no recorded requests."""
    fake.reset()


@pytest.fixture(scope="module")
async def claude(fake: FakeAnthropic) -> AsyncIterator[Stub]:
    """A stub to a gateway whose router does not retry, so each upstream answer shows as is."""
    gateway = Gateway(_settings(fake.url, NO_RETRIES))
    await gateway.start(host="127.0.0.1", port=0)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
        yield gateway_pb2_grpc.ModelGatewayStub(channel)
    await gateway.stop(grace=1)
