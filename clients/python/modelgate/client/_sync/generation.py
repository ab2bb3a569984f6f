# Generated from clients/python/modelgate/client/_async/generation.py
# by scripts/generate-sync-client; do not edit.
"""Chat, completion, embeddings and token counting."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from typing_extensions import Unpack

from modelgate.client import _requests as rq
from modelgate.client._common import MetadataLike
from modelgate.client._sync.base import SyncClientBase
from modelgate.client._sync.streams import ResponseStream, TextStream
from modelgate.client.messages import MessagesLike
from modelgate.client.options import (
    ChatOptions,
    CompleteOptions,
    build_chat_request,
    build_complete_request,
)
from modelgate.v1 import chat_pb2, completion_pb2, embedding_pb2, tokens_pb2


class SyncGenerationMethods(SyncClientBase):
    """The generating RPCs; options are the shared `ChatOptions` / `CompleteOptions`."""

    def chat(
        self,
        model: str,
        messages: MessagesLike = (),
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
        **options: Unpack[ChatOptions],
    ) -> chat_pb2.ChatResponse:
        """Generate the next assistant message.

        `messages` takes protos, plain strings (user turns), (role, text)
        tuples or {"role", "content"} dicts. `options` are the request's
        optional fields (`ChatOptions`: `system`, `tools`, `temperature`,
        `max_output_tokens`, `response_format`, `tags`...); sampling keywords
        override a `generation` base. `tags` is the request's `metadata` map
        (recorded by the gateway), while `metadata` is gRPC call metadata.
        JSON (`extra_json`, tool parameters, schemas) is sent as text in the
        order given; read JSON answers as plain Python with
        `structured_output_of()` and `arguments_of()`.
        """
        request = build_chat_request(chat_pb2.ChatRequest, model, messages, options, "chat")
        return self.chat_request(request, timeout=timeout, metadata=metadata)

    def chat_request(
        self,
        request: chat_pb2.ChatRequest,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> chat_pb2.ChatResponse:
        """Chat with a request you built yourself (full control over every field)."""
        return self._unary("Chat", self._stub.Chat, request, timeout, metadata)

    def stream_chat(
        self,
        model: str,
        messages: MessagesLike = (),
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
        **options: Unpack[ChatOptions],
    ) -> ResponseStream[chat_pb2.StreamChatResponse]:
        """Stream the next assistant message as attempt, delta and end events.

        Arguments as for `chat`. Iterate with `for`; the call starts
        immediately, before the first event is read.
        """
        request = build_chat_request(
            chat_pb2.StreamChatRequest, model, messages, options, "stream_chat"
        )
        return self.stream_chat_request(request, timeout=timeout, metadata=metadata)

    def stream_chat_request(
        self,
        request: chat_pb2.StreamChatRequest | chat_pb2.ChatRequest,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> ResponseStream[chat_pb2.StreamChatResponse]:
        """StreamChat with a request you built (a ChatRequest is converted)."""
        return self._stream(
            "StreamChat", self._stub.StreamChat, rq.as_stream_chat(request), timeout, metadata
        )

    def stream_text(
        self,
        model: str,
        messages: MessagesLike = (),
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
        include_reasoning: bool = False,
        **options: Unpack[ChatOptions],
    ) -> TextStream:
        """Like `stream_chat`, yielding only the answer's text pieces.

        With `include_reasoning`, the model's reasoning text too, in stream
        order, as `ReasoningText` pieces (a `str` subclass). After the loop,
        `.end` on the returned stream holds usage and the finish reason, and
        `.message()` the whole answer (reasoning parts with their signatures,
        text, tool calls) as the assistant turn to send back.
        """
        return TextStream(
            self.stream_chat(model, messages, timeout=timeout, metadata=metadata, **options),
            include_reasoning=include_reasoning,
        )

    def complete(
        self,
        model: str,
        prompt: str,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
        **options: Unpack[CompleteOptions],
    ) -> completion_pb2.CompleteResponse:
        """Continue a plain-text prompt (legacy completion); `options` as `CompleteOptions`."""
        request = build_complete_request(
            completion_pb2.CompleteRequest, model, prompt, options, "complete"
        )
        return self.complete_request(request, timeout=timeout, metadata=metadata)

    def complete_request(
        self,
        request: completion_pb2.CompleteRequest,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> completion_pb2.CompleteResponse:
        """Complete with a request you built yourself."""
        return self._unary("Complete", self._stub.Complete, request, timeout, metadata)

    def stream_complete(
        self,
        model: str,
        prompt: str,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
        **options: Unpack[CompleteOptions],
    ) -> ResponseStream[completion_pb2.StreamCompleteResponse]:
        """Stream a plain-text completion as attempt, delta and end events.

        Wrap the result in `TextStream(...)` to get only the text.
        """
        request = build_complete_request(
            completion_pb2.StreamCompleteRequest, model, prompt, options, "stream_complete"
        )
        return self.stream_complete_request(request, timeout=timeout, metadata=metadata)

    def stream_complete_request(
        self,
        request: completion_pb2.StreamCompleteRequest | completion_pb2.CompleteRequest,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> ResponseStream[completion_pb2.StreamCompleteResponse]:
        """StreamComplete with a request you built (a CompleteRequest is converted)."""
        return self._stream(
            "StreamComplete",
            self._stub.StreamComplete,
            rq.as_stream_complete(request),
            timeout,
            metadata,
        )

    def embed(
        self,
        model: str,
        inputs: str | Sequence[str],
        *,
        dimensions: int | None = None,
        tags: Mapping[str, str] | None = None,
        user: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> embedding_pb2.EmbedResponse:
        """Embed one text or a batch (1 to 2048); embeddings come back in input order."""
        request = embedding_pb2.EmbedRequest(
            model=model,
            inputs=[inputs] if isinstance(inputs, str) else list(inputs),
            metadata=dict(tags or {}),
            user=user or "",
        )
        if dimensions is not None:
            request.dimensions = dimensions
        return self._unary("Embed", self._stub.Embed, request, timeout, metadata)

    def count_tokens(
        self,
        model: str,
        *,
        text: str | None = None,
        messages: MessagesLike | None = None,
        system: str | None = None,
        tools: Sequence[rq.ToolLike] | None = None,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> tokens_pb2.CountTokensResponse:
        """Count input tokens of plain `text`, or of `messages` (+ `tools`) as a prompt."""
        request = rq.build_count_tokens_request(
            model, text=text, messages=messages, system_prompt=system, tools=tools
        )
        return self._unary("CountTokens", self._stub.CountTokens, request, timeout, metadata)
