"""The Gemini backend: Gemini API REST calls wired to the conversions beside it.

Every endpoint goes through `HttpUpstream` (raw aiohttp and orjson), like the other
hot-path backends: measured against the official `google-genai` SDK on the fake
upstream (`uv run --frozen python -m bench.gemini_paths`), the raw path served more
calls per second for both unary and streamed chat (numbers in bench/README.md). The
key travels only in the `x-goog-api-key` header, never in a URL, and is redacted
wherever text leaves the process (`RuntimeConfig.held_secrets`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from typing_extensions import override

from modelgate.config import RuntimeConfig
from modelgate.errors import upstream_invalid_response
from modelgate.providers.base import (
    Backend,
    BackendDefaults,
    CallContext,
    Target,
)
from modelgate.providers.gemini.contents import sends_reasoning, url_mime_type
from modelgate.providers.gemini.discovery import discover_models
from modelgate.providers.gemini.errors import classify_raw
from modelgate.providers.gemini.request import (
    GENERATE_CONTENT,
    GenerateCall,
    chat_call,
    complete_call,
    count_tokens_body,
    model_path,
    resource_name,
)
from modelgate.providers.gemini.response import Answer
from modelgate.providers.gemini.stream import Event, StreamTranslator, translate
from modelgate.providers.http import DEFAULT_CONNECTIONS, HttpUpstream, sse_events
from modelgate.providers.image_fetch import ImageFetcher
from modelgate.providers.params import Operation, UpstreamParams
from modelgate.providers.reasoning_parts import note_unsent, unsent_reasoning
from modelgate.providers.upstream_json import count, items, obj, objects
from modelgate.records import public_endpoint
from modelgate.v1 import (
    chat_pb2,
    completion_pb2,
    embedding_pb2,
    model_pb2,
    stream_pb2,
    tokens_pb2,
)

PROVIDER = "gemini"
"""ErrorInfo domain of upstream failures, whatever the runtime is called."""
DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
KEY_HEADER = "x-goog-api-key"


class GeminiBackend(BackendDefaults):
    """One Gemini API key (or an API-compatible endpoint at another base URL)."""

    def __init__(self, runtime: str, config: RuntimeConfig) -> None:
        self.runtime = runtime
        self.config = config
        self.base_url = (config.resolved_base_url() or DEFAULT_BASE_URL).rstrip("/")
        headers = dict(config.headers)
        key = config.resolved_api_key()
        if key:  # without one Gemini answers 403, which names the missing identity
            headers[KEY_HEADER] = key
        self.upstream = HttpUpstream(
            PROVIDER,
            self.base_url,
            headers,
            connections=int(config.options.get("max_connections", DEFAULT_CONNECTIONS)),
            errors=classify_raw,
        )
        self.images = ImageFetcher()
        self.fetch_all_images = bool(config.options.get("fetch_images", False))

    @override
    def generation_params(self, target: Target, operation: Operation) -> UpstreamParams:
        """Chat and Complete both become generateContent calls."""
        return GENERATE_CONTENT

    async def _images(
        self, target: Target, request: chat_pb2.ChatRequest, call: CallContext
    ) -> chat_pb2.ChatRequest:
        """`request` with URL images fetched by the gateway where Gemini cannot take the URL
        (unknown MIME type) or the runtime says so (`fetch_images: true`)."""
        urls = [
            part.image
            for message in request.messages
            for part in message.parts
            if part.WhichOneof("data") == "image" and part.image.WhichOneof("source") == "url"
        ]
        if self.fetch_all_images or any(not url_mime_type(image) for image in urls):
            return await self.images.inline(target, request, call)
        return request

    async def chat(
        self, target: Target, request: chat_pb2.ChatRequest, call: CallContext
    ) -> chat_pb2.ChatResponse:
        """One generateContent call."""
        plan = chat_call(target, await self._images(target, request, call), stream=False)
        body, _ = await self.upstream.post_json(plan.path, plan.body, call)
        answer = Answer(PROVIDER, body)
        response = chat_pb2.ChatResponse(
            content=answer.content,
            finish_reason=answer.finish,
            raw_finish_reason=answer.raw_finish,
            usage=answer.usage,
            provider_response_id=answer.response_id,
        )
        note_unsent(response.metadata, unsent_reasoning(request.messages, sends_reasoning))
        return response

    async def _events(
        self, target: Target, plan: GenerateCall, call: CallContext
    ) -> AsyncIterator[Event]:
        """Our events of one streamed call; the connection closes on exit."""
        translator = StreamTranslator(PROVIDER)
        async with self.upstream.stream(plan.path, plan.body, call) as response:
            translator.headers = response.headers
            async for event in translate(translator, sse_events(response, call.max_line_bytes)):
                yield event

    async def stream_chat(
        self, target: Target, request: chat_pb2.ChatRequest, call: CallContext
    ) -> AsyncIterator[chat_pb2.StreamChatResponse]:
        """Text, reasoning and tool-call deltas, then one end event with Gemini's usage."""
        plan = chat_call(target, await self._images(target, request, call), stream=True)
        Response = chat_pb2.StreamChatResponse
        async for event in self._events(target, plan, call):
            if isinstance(event, stream_pb2.TextDelta):
                yield Response(text_delta=event)
            elif isinstance(event, stream_pb2.ReasoningDelta):
                yield Response(reasoning_delta=event)
            elif isinstance(event, stream_pb2.ToolCallDelta):
                yield Response(tool_call_delta=event)
            else:
                note_unsent(event.metadata, unsent_reasoning(request.messages, sends_reasoning))
                yield Response(end=event)

    @override
    async def complete(
        self, target: Target, request: completion_pb2.CompleteRequest, call: CallContext
    ) -> completion_pb2.CompleteResponse:
        """The prompt as one user turn; the answer's text is the completion."""
        plan = complete_call(target, request, stream=False)
        body, _ = await self.upstream.post_json(plan.path, plan.body, call)
        answer = Answer(PROVIDER, body)
        response = completion_pb2.CompleteResponse(
            text=answer.text(),
            finish_reason=answer.finish,
            raw_finish_reason=answer.raw_finish,
            usage=answer.usage,
            provider_response_id=answer.response_id,
        )
        return response

    @override
    async def stream_complete(
        self, target: Target, request: completion_pb2.CompleteRequest, call: CallContext
    ) -> AsyncIterator[completion_pb2.StreamCompleteResponse]:
        """Text deltas of the prompt's answer (thoughts are not completion text), then end."""
        plan = complete_call(target, request, stream=True)
        Response = completion_pb2.StreamCompleteResponse
        async for event in self._events(target, plan, call):
            if isinstance(event, stream_pb2.TextDelta):
                yield Response(text_delta=event)
            elif isinstance(event, stream_pb2.StreamEnd):
                yield Response(end=event)

    @override
    async def embed(
        self, target: Target, request: embedding_pb2.EmbedRequest, call: CallContext
    ) -> embedding_pb2.EmbedResponse:
        """One input: `:embedContent`; more: `:batchEmbedContents` (one request each)."""
        single = len(request.inputs) == 1
        entries = [_embed_request(target, text, request) for text in request.inputs]
        if single:
            path, body = model_path(target, "embedContent"), entries[0]
        else:
            path, body = model_path(target, "batchEmbedContents"), {"requests": entries}
        raw, _ = await self.upstream.post_json(path, body, call)
        answer = obj(PROVIDER, raw, "its answer")
        if single:
            embeddings = [obj(PROVIDER, answer.get("embedding"), "embedding")]
        else:
            embeddings = objects(PROVIDER, answer.get("embeddings"), "embeddings")
        if len(embeddings) != len(request.inputs):
            raise upstream_invalid_response(
                PROVIDER, f"returned {len(embeddings)} embeddings for {len(request.inputs)} inputs"
            )
        response = embedding_pb2.EmbedResponse()
        for position, embedding in enumerate(embeddings):
            response.embeddings.add(index=position).values.extend(_vector(embedding))
        meta = obj(PROVIDER, answer.get("usageMetadata"), "usageMetadata")
        tokens = count(PROVIDER, meta.get("promptTokenCount"), "usageMetadata.promptTokenCount")
        response.usage.input_tokens = response.usage.total_tokens = tokens
        return response

    async def count_tokens(
        self, target: Target, request: tokens_pb2.CountTokensRequest, call: CallContext
    ) -> tokens_pb2.CountTokensResponse:
        """Exact count from `:countTokens` (system instruction and tools included)."""
        body = count_tokens_body(target, request)
        raw, _ = await self.upstream.post_json(model_path(target, "countTokens"), body, call)
        answer = obj(PROVIDER, raw, "its answer")
        return tokens_pb2.CountTokensResponse(
            input_tokens=count(PROVIDER, answer.get("totalTokens"), "totalTokens"),
            method=tokens_pb2.COUNT_METHOD_PROVIDER_API,
            tokenizer="gemini",
            context_window=target.record.context_window,
        )

    @override
    async def discover(self) -> list[model_pb2.Model] | None:
        """Models the key can use, when the runtime sets `discover: true`."""
        if not self.config.discover:
            return None
        endpoint = public_endpoint(self.base_url)
        return await discover_models(self.upstream, self.config.kind, self.runtime, endpoint)

    @override
    async def aclose(self) -> None:
        """Close pooled connections."""
        await self.upstream.aclose()


def _embed_request(
    target: Target, text: str, request: embedding_pb2.EmbedRequest
) -> dict[str, Any]:
    entry: dict[str, Any] = {"model": resource_name(target), "content": {"parts": [{"text": text}]}}
    if request.HasField("dimensions"):
        entry["outputDimensionality"] = request.dimensions
    return entry


def _vector(embedding: dict[str, Any]) -> list[float]:
    values = items(PROVIDER, embedding.get("values"), "embedding.values")
    if not all(type(value) in (float, int) for value in values):
        raise upstream_invalid_response(PROVIDER, "sent an embedding that is not a list of numbers")
    return values


def create(name: str, config: RuntimeConfig) -> Backend:
    """The factory named by the registry for kind "gemini"."""
    return GeminiBackend(name, config)
