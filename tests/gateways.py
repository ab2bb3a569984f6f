"""Start a real gateway for a test module: settings in, a served port and stub out."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import grpc

from modelgate.app import Gateway
from modelgate.config import Settings
from modelgate.v1 import gateway_pb2_grpc

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub

Fixture = Callable[..., object]
"""A function pytest registers as a fixture under the module attribute's name (a factory
of fixtures returns these, so a module that assigns them gets them and no other does).
"""


@dataclass
class Served:
    """A running gateway and a stub on a real channel to it."""

    gateway: Gateway
    stub: ModelGatewayAsyncStub
    channel: grpc.aio.Channel

    @property
    def target(self) -> str:
        """host:port of the gateway."""
        return f"127.0.0.1:{self.gateway.port}"


def settings(**fields: Any) -> Settings:
    """Settings that ignore the developer's environment files."""
    fields.setdefault("echo", False)
    return Settings(_env_file=None, **fields)  # type: ignore[call-arg]


@contextlib.asynccontextmanager
async def serve(config: Settings) -> AsyncIterator[Served]:
    """A gateway on a free loopback port, drained on exit."""
    gateway = Gateway(config)
    await gateway.start(host="127.0.0.1", port=0)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}")
    try:
        yield Served(gateway, gateway_pb2_grpc.ModelGatewayStub(channel), channel)
    finally:
        await channel.close()
        await gateway.stop(grace=0.5)
