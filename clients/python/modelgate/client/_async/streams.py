"""Server-streaming calls as iterators that raise typed errors and cancel when left early."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Generic, Self, TypeVar

import grpc

from modelgate.client._common import AsyncStreamCall
from modelgate.client._io import AsyncIO
from modelgate.client.errors import from_rpc_error
from modelgate.client.transcript import ReasoningText, Transcript
from modelgate.v1 import chat_pb2, completion_pb2, content_pb2, stream_pb2

__all__ = ["AsyncResponseStream", "AsyncTextStream"]

T = TypeVar("T")


class AsyncResponseStream(Generic[T]):
    """The messages of one server-streaming call, as an iterator.

    Errors, including ones that end the stream after some messages, are raised
    as `ModelGateError` subclasses. Leaving early cancels the call, so the
    gateway stops generating (and paying for) tokens nobody reads: use
    `async with` (or `aclose()`/`cancel()`) for deterministic cancellation; a
    stream dropped after `break` is also cancelled once it is garbage
    collected (immediately in CPython when nothing else references it).
    `cancel()` may come from elsewhere (another task or thread) to stop an
    iteration that is waiting.
    """

    def __init__(self, call: AsyncStreamCall[T]) -> None:
        self._call = call
        self._iterator: AsyncIterator[T] | None = None
        self._finished = False
        self._cancelled = False

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        if self._finished:
            raise StopAsyncIteration
        if self._iterator is None:
            self._iterator = self._call.__aiter__()
        try:
            return await self._iterator.__anext__()
        except StopAsyncIteration:
            self._finished = True
            raise
        except BaseException as exc:
            self._finished = True
            if self._cancelled and AsyncIO.ended_by_cancel(exc):
                # cancel() from elsewhere ended the call: that is a normal end here.
                raise StopAsyncIteration from None
            if isinstance(exc, grpc.RpcError):
                raise from_rpc_error(exc) from exc
            # Our own cancellation, KeyboardInterrupt...: never leave the call running.
            self._call.cancel()
            raise

    def cancel(self) -> bool:
        """Cancel the call; iteration then stops. False if it had already finished."""
        self._cancelled = True
        self._finished = True
        return self._call.cancel()

    async def aclose(self) -> None:
        """Cancel the call if it is still running."""
        self.cancel()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __del__(self) -> None:
        if not getattr(self, "_finished", True):
            with contextlib.suppress(Exception):
                self._call.cancel()


class AsyncStreamView:
    """A view over an `AsyncResponseStream` (`events`) that closes as the stream does:
    `cancel`, `aclose` and `async with`, written once for every view."""

    events: (
        AsyncResponseStream[chat_pb2.StreamChatResponse]
        | AsyncResponseStream[completion_pb2.StreamCompleteResponse]
    )

    def cancel(self) -> bool:
        """Cancel the call; iteration then stops."""
        return self.events.cancel()

    async def aclose(self) -> None:
        """Cancel the call if it is still running."""
        await self.events.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class AsyncTextStream(AsyncStreamView):
    """The text of a chat or completion stream, piece by piece.

    Only the answer's text by default. With `include_reasoning`, the model's
    reasoning text comes too, in stream order, as `ReasoningText` pieces (a
    `str` subclass: test with `isinstance`). After iteration `end` holds the
    stream's `StreamEnd` (usage, finish reason, response id), and for a chat
    stream `message()` the whole answer (reasoning, text and tool calls) as the
    assistant turn to send back. Closing behaves as for `AsyncResponseStream`.
    """

    def __init__(
        self,
        events: AsyncResponseStream[chat_pb2.StreamChatResponse]
        | AsyncResponseStream[completion_pb2.StreamCompleteResponse],
        *,
        include_reasoning: bool = False,
    ) -> None:
        self.events = events
        self.include_reasoning = include_reasoning
        self.end: stream_pb2.StreamEnd | None = None
        self.transcript = Transcript()
        """Every chat event read so far, folded into the answer's content parts."""

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> str:
        async for event in self.events:
            if isinstance(event, chat_pb2.StreamChatResponse):
                self.transcript.add(event)
                if self.include_reasoning and event.reasoning_delta.text:
                    return ReasoningText(event.reasoning_delta.text)
            kind = event.WhichOneof("event")
            if kind == "text_delta" and event.text_delta.text:
                return event.text_delta.text
            if kind == "end":
                self.end = event.end
        raise StopAsyncIteration

    def message(self) -> content_pb2.Message:
        """The answer read so far (all of it after the loop) as an assistant message,
        every part unchanged: append it to the conversation to continue."""
        return self.transcript.message()
