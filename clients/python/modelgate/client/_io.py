"""The few gRPC calls the async and sync clients make differently, side by side.

The client code is written once, async, in `_async/`; `scripts/generate-sync-client`
derives `_sync/` from it by removing `async`/`await` and renaming `Async*` names
(`AsyncIO` here becomes `SyncIO`). What cannot be derived that way (grpc.aio vs grpc
channels, graceful close, how a cancelled call ends an iteration) lives here,
written by hand for each flavour, as httpcore keeps its sync and async primitives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, TypeAlias

import grpc
import grpc.aio

AsyncChannel: TypeAlias = grpc.aio.Channel
SyncChannel: TypeAlias = grpc.Channel


class AsyncIO:
    """grpc.aio primitives of the async client."""

    @staticmethod
    def open_channel(
        target: str, credentials: grpc.ChannelCredentials | None, options: Sequence[tuple[str, Any]]
    ) -> AsyncChannel:
        """A plaintext channel without `credentials`, else a TLS one."""
        if credentials is None:
            return grpc.aio.insecure_channel(target, options=options)
        return grpc.aio.secure_channel(target, credentials, options=options)

    @staticmethod
    async def close_channel(channel: AsyncChannel, grace: float | None) -> None:
        """Close; running calls are cancelled after `grace` seconds (None: at once)."""
        await channel.close(grace)

    @staticmethod
    def ended_by_cancel(exc: BaseException) -> bool:
        """Whether `exc` is how a stream's `cancel()` from elsewhere ends its iteration.

        grpc.aio raises CancelledError into the reader; when this task itself is
        being cancelled, the CancelledError is that cancellation and must propagate.
        """
        if not isinstance(exc, asyncio.CancelledError):
            return False
        task = asyncio.current_task()
        return not (task is not None and task.cancelling())


class SyncIO:
    """Blocking grpc primitives of the sync client."""

    @staticmethod
    def open_channel(
        target: str, credentials: grpc.ChannelCredentials | None, options: Sequence[tuple[str, Any]]
    ) -> SyncChannel:
        """A plaintext channel without `credentials`, else a TLS one."""
        if credentials is None:
            return grpc.insecure_channel(target, options=options)
        return grpc.secure_channel(target, credentials, options=options)

    @staticmethod
    def close_channel(channel: SyncChannel, grace: float | None) -> None:
        """Close, cancelling running calls at once.

        A blocking grpc channel has no graceful close; a `grace` is refused rather
        than ignored.
        """
        if grace is not None:
            raise ValueError("the blocking client cannot close gracefully: call close() alone")
        channel.close()

    @staticmethod
    def ended_by_cancel(exc: BaseException) -> bool:
        """Whether `exc` is how a stream's `cancel()` (maybe from another thread) ends its
        iteration: grpc raises the CANCELLED RpcError into the blocked reader."""
        return isinstance(exc, grpc.RpcError)
