# Generated from clients/python/modelgate/client/_async/streams.py
# by scripts/generate-sync-client; do not edit.
"""Server-streaming calls as iterators that raise typed errors and cancel when left early."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import TracebackType
from typing import Generic, Self, TypeVar

import grpc

from modelgate.client._common import SyncStreamCall
from modelgate.client._io import SyncIO
from modelgate.client.errors import from_rpc_error
from modelgate.client.transcript import ReasoningText, Transcript
from modelgate.v1 import chat_pb2, completion_pb2, content_pb2, stream_pb2

__all__ = ["ResponseStream", "TextStream"]

T = TypeVar("T")


class ResponseStream(Generic[T]):
    """The messages of one server-streaming call, as an iterator.

    Errors, including ones that end the stream after some messages, are raised
    as `ModelGateError` subclasses. Leaving early cancels the call, so the
    gateway stops generating (and paying for) tokens nobody reads: use
    `with` (or `close()`/`cancel()`) for deterministic cancellation; a
    stream dropped after `break` is also cancelled once it is garbage
    collected (immediately in CPython when nothing else references it).
    `cancel()` may come from elsewhere (another task or thread) to stop an
    iteration that is waiting.
    """

    def __init__(self, call: SyncStreamCall[T]) -> None:
        self._call = call
        self._iterator: Iterator[T] | None = None
        self._finished = False
        self._cancelled = False

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> T:
        if self._finished:
            raise StopIteration
        if self._iterator is None:
            self._iterator = self._call.__iter__()
        try:
            return self._iterator.__next__()
        except StopIteration:
            self._finished = True
            raise
        except BaseException as exc:
            self._finished = True
            if self._cancelled and SyncIO.ended_by_cancel(exc):
                # cancel() from elsewhere ended the call: that is a normal end here.
                raise StopIteration from None
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

    def close(self) -> None:
        """Cancel the call if it is still running."""
        self.cancel()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_finished", True):
            with contextlib.suppress(Exception):
                self._call.cancel()


class StreamView:
    """A view over an `ResponseStream` (`events`) that closes as the stream does:
    `cancel`, `close` and `with`, written once for every view."""

    events: (
        ResponseStream[chat_pb2.StreamChatResponse]
        | ResponseStream[completion_pb2.StreamCompleteResponse]
    )

    def cancel(self) -> bool:
        """Cancel the call; iteration then stops."""
        return self.events.cancel()

    def close(self) -> None:
        """Cancel the call if it is still running."""
        self.events.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class TextStream(StreamView):
    """The text of a chat or completion stream, piece by piece.

    Only the answer's text by default. With `include_reasoning`, the model's
    reasoning text comes too, in stream order, as `ReasoningText` pieces (a
    `str` subclass: test with `isinstance`). After iteration `end` holds the
    stream's `StreamEnd` (usage, finish reason, response id), and for a chat
    stream `message()` the whole answer (reasoning, text and tool calls) as the
    assistant turn to send back. Closing behaves as for `ResponseStream`.
    """

    def __init__(
        self,
        events: ResponseStream[chat_pb2.StreamChatResponse]
        | ResponseStream[completion_pb2.StreamCompleteResponse],
        *,
        include_reasoning: bool = False,
    ) -> None:
        self.events = events
        self.include_reasoning = include_reasoning
        self.end: stream_pb2.StreamEnd | None = None
        self.transcript = Transcript()
        """Every chat event read so far, folded into the answer's content parts."""

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> str:
        for event in self.events:
            if isinstance(event, chat_pb2.StreamChatResponse):
                self.transcript.add(event)
                if self.include_reasoning and event.reasoning_delta.text:
                    return ReasoningText(event.reasoning_delta.text)
            kind = event.WhichOneof("event")
            if kind == "text_delta" and event.text_delta.text:
                return event.text_delta.text
            if kind == "end":
                self.end = event.end
        raise StopIteration

    def message(self) -> content_pb2.Message:
        """The answer read so far (all of it after the loop) as an assistant message,
        every part unchanged: append it to the conversation to continue."""
        return self.transcript.message()
