"""The channel, the typed stub and the per-call plumbing every client method uses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar, cast

import grpc

from modelgate.client._async.streams import AsyncResponseStream
from modelgate.client._common import (
    AsyncGatewayStub,
    AsyncServerStream,
    AsyncUnary,
    Metadata,
    MetadataLike,
    base_metadata,
    call_metadata,
)
from modelgate.client._io import AsyncChannel, AsyncIO
from modelgate.client.errors import from_rpc_error
from modelgate.client.service_config import (
    DEFAULT_SERVICE_CONFIG,
    channel_options,
    method_timeouts,
)
from modelgate.v1 import gateway_pb2_grpc

_Req = TypeVar("_Req")
_Resp = TypeVar("_Resp")


class AsyncClientBase:
    """Owns the channel; turns a call's `timeout`/`metadata` into deadline and metadata."""

    def __init__(
        self,
        target: str,
        *,
        credentials: grpc.ChannelCredentials | None = None,
        api_key: str | None = None,
        metadata: MetadataLike = (),
        timeout: float | None = None,
        service_config: Mapping[str, Any] | None = DEFAULT_SERVICE_CONFIG,
        options: Sequence[tuple[str, Any]] = (),
    ) -> None:
        channel = AsyncIO.open_channel(
            target, credentials, channel_options(service_config, options)
        )
        self._setup(
            channel,
            api_key=api_key,
            metadata=metadata,
            timeout=timeout,
            timeouts=method_timeouts(service_config),
        )

    @classmethod
    def from_channel(
        cls,
        channel: AsyncChannel,
        *,
        api_key: str | None = None,
        metadata: MetadataLike = (),
        timeout: float | None = None,
    ) -> Self:
        """A client over a channel you built (custom interceptors, credentials...).

        The client then owns the channel: `close()` closes it. No per-method
        default deadlines apply (the channel's own service config governs), so
        consider passing `timeout`.
        """
        self = cls.__new__(cls)
        self._setup(channel, api_key=api_key, metadata=metadata, timeout=timeout, timeouts={})
        return self

    def _setup(
        self,
        channel: AsyncChannel,
        *,
        api_key: str | None,
        metadata: MetadataLike,
        timeout: float | None,
        timeouts: dict[str, float],
    ) -> None:
        self._channel = channel
        self._stub = cast(AsyncGatewayStub, gateway_pb2_grpc.ModelGatewayStub(channel))
        self._metadata: Metadata = base_metadata(metadata, api_key)
        self._timeout = timeout
        self._timeouts = timeouts

    @property
    def channel(self) -> AsyncChannel:
        """The underlying channel, e.g. for health checks or raw stubs."""
        return self._channel

    async def close(self, grace: float | None = None) -> None:
        """Close the channel, cancelling running calls (the async client can first
        give them `grace` seconds; the blocking one refuses a grace)."""
        await AsyncIO.close_channel(self._channel, grace)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _call_args(
        self, method: str, timeout: float | None, metadata: MetadataLike | None
    ) -> tuple[float | None, Metadata | None]:
        """The call's deadline (per-call, else client-wide, else the method's
        default from the service config) and its metadata."""
        if timeout is None:
            timeout = self._timeout if self._timeout is not None else self._timeouts.get(method)
        return timeout, call_metadata(self._metadata, metadata)

    async def _unary(
        self,
        method: str,
        rpc: AsyncUnary[_Req, _Resp],
        request: _Req,
        timeout: float | None,
        metadata: MetadataLike | None,
    ) -> _Resp:
        deadline, md = self._call_args(method, timeout, metadata)
        try:
            return await rpc(request, timeout=deadline, metadata=md)
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from exc

    def _stream(
        self,
        method: str,
        rpc: AsyncServerStream[_Req, _Resp],
        request: _Req,
        timeout: float | None,
        metadata: MetadataLike | None,
    ) -> AsyncResponseStream[_Resp]:
        """Start a server-streaming call; it runs from here, before the first read."""
        deadline, md = self._call_args(method, timeout, metadata)
        return AsyncResponseStream(rpc(request, timeout=deadline, metadata=md))
