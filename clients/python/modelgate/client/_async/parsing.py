"""Typed structured output: `parse` and `stream_parse`, answers validated into a Pydantic type."""

from __future__ import annotations

from typing import Generic, Self, TypeVar

from typing_extensions import Unpack

from modelgate.client._async.generation import AsyncGenerationMethods
from modelgate.client._async.streams import AsyncResponseStream, AsyncStreamView
from modelgate.client._common import MetadataLike
from modelgate.client.messages import MessagesLike
from modelgate.client.options import ChatOptions
from modelgate.client.typed_output import OutputType, Parsed, Partial
from modelgate.v1 import chat_pb2, generation_pb2

T = TypeVar("T")


def _with_format(
    options: ChatOptions, response_format: generation_pb2.ResponseFormat, method: str
) -> ChatOptions:
    """The options plus the response type's format; a caller's own format is refused,
    since one of the two would be dropped."""
    if "response_format" in options:
        raise TypeError(f"{method}() takes the response type instead of `response_format`")
    return {**options, "response_format": response_format}


class AsyncParseMethods(AsyncGenerationMethods):
    """Chat answers validated into Pydantic types (`pip install 'modelgate-client[pydantic]'`)."""

    async def parse(
        self,
        model: str,
        messages: MessagesLike,
        response_type: type[T],
        *,
        schema_name: str | None = None,
        strict: bool = False,
        max_reasks: int | None = None,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
        **options: Unpack[ChatOptions],
    ) -> Parsed[T]:
        """Chat for an answer of `response_type`, returned validated with the reply.

        `response_type` is a Pydantic model or any type a `TypeAdapter` takes
        (`list[Model]`, a TypedDict, a dataclass...). Its JSON Schema goes with
        the request; the gateway validates the answer and re-asks up to
        `max_reasks` times (its default when None). `schema_name` defaults to
        the type's name; `strict` asks for the provider's strict mode. Other
        arguments as for `chat`. Raises `StructuredOutputError` (a subclass of
        `InvalidArgumentError`) with the last output and the error paths when
        the answer stays invalid, or when the type rejects what the schema let
        through.
        """
        output = OutputType(response_type)
        response_format = output.response_format(
            name=schema_name, strict=strict, max_reasks=max_reasks
        )
        reply = await self.chat(
            model,
            messages,
            timeout=timeout,
            metadata=metadata,
            **_with_format(options, response_format, "parse"),
        )
        return output.parsed(reply)

    def stream_parse(
        self,
        model: str,
        messages: MessagesLike,
        response_type: type[T],
        *,
        schema_name: str | None = None,
        strict: bool = False,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
        **options: Unpack[ChatOptions],
    ) -> AsyncParseStream[T]:
        """Like `parse`, streamed: `Partial` snapshots as the JSON arrives, then the `Parsed`.

        The gateway validates a streamed answer at its end but cannot re-ask (the
        text has already been sent), so an invalid one ends the stream with
        `StructuredOutputError`. Iterate with `async for`; leaving early cancels the call.
        """
        output = OutputType(response_type)
        response_format = output.response_format(name=schema_name, strict=strict, max_reasks=None)
        events = self.stream_chat(
            model,
            messages,
            timeout=timeout,
            metadata=metadata,
            **_with_format(options, response_format, "stream_parse"),
        )
        return AsyncParseStream(events, output)


class AsyncParseStream(AsyncStreamView, Generic[T]):
    """A structured answer while it streams: `Partial[T]` items, then one `Parsed[T]`.

    A partial is yielded each time the JSON read so far changes; the last item is
    the validated `Parsed` (also kept in `.result`). Closing behaves as for
    `AsyncResponseStream`.
    """

    def __init__(
        self, events: AsyncResponseStream[chat_pb2.StreamChatResponse], output: OutputType[T]
    ) -> None:
        self.events = events
        self.output = output
        self.text = ""
        """The JSON text read so far."""
        self.result: Parsed[T] | None = None
        """The validated answer, once the stream has ended."""
        self._last_data: object = None

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Partial[T] | Parsed[T]:
        async for event in self.events:
            kind = event.WhichOneof("event")
            if kind == "text_delta" and event.text_delta.text:
                self.text += event.text_delta.text
                partial = self.output.partial(self.text)
                if partial is not None and partial.data != self._last_data:
                    self._last_data = partial.data
                    return partial
            elif kind == "end":
                self.result = self.output.parsed(event.end)
                return self.result
        raise StopAsyncIteration
