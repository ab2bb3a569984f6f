"""The OpenAI backend: Chat Completions, legacy Completions, Embeddings, Responses API,
and the media endpoints (images, transcription, speech: `media.py`).

One class serves OpenAI itself and every OpenAI-compatible server (LM Studio,
vLLM, Groq, DeepSeek, Mistral, OpenRouter, Gemini's compatible endpoint,
Azure OpenAI) by configuration alone: base URL, key env var, extra headers.
Every endpoint, the Responses API included, uses the lean aiohttp path.
"""

from __future__ import annotations

import array
import base64
from collections.abc import AsyncIterator, Iterable
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
from modelgate.providers.http import DEFAULT_CONNECTIONS, HttpUpstream
from modelgate.providers.image_fetch import ImageFetcher
from modelgate.providers.openai import request as build
from modelgate.providers.openai import responses_api
from modelgate.providers.openai.discovery import discover_models
from modelgate.providers.openai.lmstudio_models import DEFAULT_POLL_SECONDS, LMStudioModels
from modelgate.providers.openai.media import OpenAIMedia
from modelgate.providers.openai.preset_wiring import (
    adapt_chat_body,
    endpoint_path,
    key_header,
    preset_params,
    preset_query,
)
from modelgate.providers.openai.presets import PRESETS
from modelgate.providers.openai.response import fill_usage, finish_reason, message_parts
from modelgate.providers.openai.stream import ChunkState, chat_deltas, chunks, completion_text
from modelgate.providers.params import Operation, UpstreamParams
from modelgate.providers.reasoning_parts import is_plain, never, note_unsent, unsent_reasoning
from modelgate.providers.upstream_json import count, items, obj, objects, text
from modelgate.records import public_endpoint
from modelgate.v1 import (
    chat_pb2,
    completion_pb2,
    content_pb2,
    embedding_pb2,
    model_pb2,
    stream_pb2,
    tokens_pb2,
)

OPENAI_URL = "https://api.openai.com/v1"
LMSTUDIO_URL = "http://127.0.0.1:1234/v1"


class OpenAIBackend(BackendDefaults):
    """One OpenAI-compatible base URL with one key."""

    def __init__(
        self, runtime: str, config: RuntimeConfig, *, default_url: str, lmstudio: bool = False
    ):
        self.runtime = runtime
        self.provider = config.kind if config.kind != "openai_compatible" else runtime
        self.config = config
        self.base_url = (config.resolved_base_url() or default_url).rstrip("/")
        self.api_key = config.resolved_api_key() or ""
        self.lmstudio = lmstudio
        fetch = bool(config.options.get("fetch_images", lmstudio))
        self.images = ImageFetcher() if fetch else None
        """Local runtimes get image bytes, never URLs they would fetch from inside our network."""
        self.preset = PRESETS[config.preset] if config.preset else None
        headers = dict(config.headers)
        if self.api_key:
            headers.setdefault(*key_header(self.preset, self.api_key))
        self.http = HttpUpstream(
            self.provider,
            self.base_url,
            headers,
            connections=int(config.options.get("max_connections", DEFAULT_CONNECTIONS)),
            query=preset_query(self.preset, config.options),
        )
        self.embedding_encoding = str(
            config.options.get(
                "embedding_encoding", "base64" if config.kind == "openai" else "float"
            )
        )
        self._compatible = config.kind != "openai"
        poll = float(config.options.get("download_poll_seconds", DEFAULT_POLL_SECONDS))
        self.lmstudio_models = LMStudioModels(runtime, self.http, poll) if lmstudio else None
        self.reasoning_key = None if config.reasoning_input == "strip" else config.reasoning_input
        """Where plain reasoning parts go back in assistant messages (None: not sent)."""
        drop = config.unsupported_params == "drop"
        self._media = OpenAIMedia(self.http, self._path, drop_unsupported=drop)

    @override
    def media(self) -> OpenAIMedia:
        """Images, transcription and speech (providers/openai/media.py)."""
        return self._media

    @override
    def generation_params(self, target: Target, operation: Operation) -> UpstreamParams:
        """What the body builder of the API `target` is called through sends."""
        if operation == "chat" and target.api == "responses":
            return responses_api.RESPONSES
        if self.preset is not None:
            return preset_params(self.preset, operation, target.options)
        if operation == "complete":
            return build.COMPATIBLE_COMPLETIONS if self._compatible else build.COMPLETIONS
        params = build.COMPATIBLE_CHAT if self._compatible else build.CHAT_COMPLETIONS
        key = build.max_tokens_key(target, self._compatible)
        if key != "max_tokens":
            return params.variant(params.api, max_output_tokens=key)
        return params

    async def chat(
        self, target: Target, request: chat_pb2.ChatRequest, call: CallContext
    ) -> chat_pb2.ChatResponse:
        if self.images is not None:
            request = await self.images.inline(target, request, call)
        if target.api == "responses":
            response = await responses_api.chat(
                self.http, self._path(target, responses_api.PATH), target, request, call
            )
        else:
            body = self._chat_body(target, request, stream=False)
            answer, _headers = await self.http.post_json(
                self._path(target, "/chat/completions"), body, call
            )
            response = _chat_response(answer, self.provider)
            note_unsent(response.metadata, self._unsent(request))
        return response

    async def stream_chat(
        self, target: Target, request: chat_pb2.ChatRequest, call: CallContext
    ) -> AsyncIterator[chat_pb2.StreamChatResponse]:
        if self.images is not None:
            request = await self.images.inline(target, request, call)
        if target.api == "responses":
            path = self._path(target, responses_api.PATH)
            async for event in responses_api.stream_chat(self.http, path, target, request, call):
                yield event
            return
        body = self._chat_body(target, request, stream=True)
        state = ChunkState(self.provider)
        Event = chat_pb2.StreamChatResponse
        path = self._path(target, "/chat/completions")
        async with self.http.stream(path, body, call) as response:
            async for chunk in chunks(self.provider, response, call):
                for delta in chat_deltas(chunk, state):
                    if isinstance(delta, stream_pb2.TextDelta):
                        yield Event(text_delta=delta)
                    elif isinstance(delta, stream_pb2.ReasoningDelta):
                        yield Event(reasoning_delta=delta)
                    else:
                        yield Event(tool_call_delta=delta)
        end = state.end()
        note_unsent(end.metadata, self._unsent(request))
        yield Event(end=end)

    def _path(self, target: Target, endpoint: str) -> str:
        """`endpoint`'s path under the preset's prefix (Azure: `/openai`, plus the model's
        deployment for the deployment-scoped endpoints)."""
        return endpoint_path(self.preset, target.upstream_name, endpoint)

    def _chat_body(self, target: Target, request: chat_pb2.ChatRequest, *, stream: bool) -> Any:
        declared = self.generation_params(target, "chat")
        body = build.chat_body(
            target, request, stream=stream, declared=declared, reasoning_key=self.reasoning_key
        )
        if self.preset is not None:
            adapt_chat_body(self.preset, request, body)
        return body

    def _complete_body(
        self, target: Target, request: completion_pb2.CompleteRequest, *, stream: bool
    ) -> Any:
        declared = self.generation_params(target, "complete")
        return build.completion_body(target, request, stream=stream, declared=declared)

    def _unsent(self, request: chat_pb2.ChatRequest) -> list[str]:
        """Reasoning parts the Chat Completions body leaves out (see `reasoning_input`)."""
        return unsent_reasoning(request.messages, never if self.reasoning_key is None else is_plain)

    @override
    async def complete(
        self, target: Target, request: completion_pb2.CompleteRequest, call: CallContext
    ) -> completion_pb2.CompleteResponse:
        answer, _headers = await self.http.post_json(
            self._path(target, "/completions"),
            self._complete_body(target, request, stream=False),
            call,
        )
        body, choice = _first_choice(answer, self.provider)
        raw_finish = text(self.provider, choice.get("finish_reason"), "choices[0].finish_reason")
        response = completion_pb2.CompleteResponse(
            text=text(self.provider, choice.get("text"), "choices[0].text"),
            finish_reason=finish_reason(raw_finish),
            raw_finish_reason=raw_finish,
            provider_response_id=text(self.provider, body.get("id"), "id"),
        )
        fill_usage(self.provider, response.usage, body.get("usage"))
        return response

    @override
    async def stream_complete(
        self, target: Target, request: completion_pb2.CompleteRequest, call: CallContext
    ) -> AsyncIterator[completion_pb2.StreamCompleteResponse]:
        state = ChunkState(self.provider)
        Event = completion_pb2.StreamCompleteResponse
        body = self._complete_body(target, request, stream=True)
        path = self._path(target, "/completions")
        async with self.http.stream(path, body, call) as response:
            async for chunk in chunks(self.provider, response, call):
                text = completion_text(chunk, state)
                if text:
                    yield Event(text_delta=stream_pb2.TextDelta(text=text))
        yield Event(end=state.end())

    @override
    async def embed(
        self, target: Target, request: embedding_pb2.EmbedRequest, call: CallContext
    ) -> embedding_pb2.EmbedResponse:
        body: dict[str, Any] = {
            "model": target.upstream_name,
            "input": list(request.inputs),
            "encoding_format": self.embedding_encoding,
        }
        if request.HasField("dimensions"):
            body["dimensions"] = request.dimensions
        if request.user:
            body["user"] = request.user
        answer, _headers = await self.http.post_json(self._path(target, "/embeddings"), body, call)
        answer = obj(self.provider, answer, "its answer")
        response = embedding_pb2.EmbedResponse()
        vectors = _vectors(self.provider, answer.get("data"))
        if len(vectors) != len(request.inputs):
            raise upstream_invalid_response(
                self.provider,
                f"returned {len(vectors)} embeddings for {len(request.inputs)} inputs",
            )
        for position, vector in enumerate(vectors):
            response.embeddings.add(index=position).values.extend(vector)
        fill_usage(self.provider, response.usage, answer.get("usage"))
        return response

    @override
    def model_manager(self) -> LMStudioModels | None:
        """LM Studio's download, load, unload and list-loaded (its REST API); none elsewhere."""
        return self.lmstudio_models

    @override
    def token_counter(self) -> OpenAIBackend:
        return self

    def local_token_count(
        self, target: Target, messages: Iterable[content_pb2.Message]
    ) -> int | None:
        """Exact input tokens when tiktoken knows the model (context-window check), else None."""
        from modelgate.providers.openai.tokens import chat_token_count

        return chat_token_count(target, messages)

    async def count_tokens(
        self, target: Target, request: tokens_pb2.CountTokensRequest, call: CallContext
    ) -> tokens_pb2.CountTokensResponse:
        from modelgate.providers.openai.tokens import count_openai_tokens

        return count_openai_tokens(target, request)

    @override
    async def discover(self) -> list[model_pb2.Model] | None:
        if not self.config.discover:
            return None
        return await discover_models(
            self.http,
            self.runtime,
            self.config.kind,
            public_endpoint(self.base_url),
            lmstudio=self.lmstudio,
        )

    @override
    async def aclose(self) -> None:
        await self.http.aclose()


def _vectors(provider: str, data: Any) -> list[list[float] | array.array[float]]:
    """The vectors of `data` in input order: float lists, or base64 little-endian float32."""
    indexed = []
    for item in objects(provider, data, "data"):
        index = count(provider, item.get("index"), "data[].index")
        indexed.append((index, _vector(provider, item.get("embedding"))))
    indexed.sort(key=lambda pair: pair[0])
    return [vector for _index, vector in indexed]


def _vector(provider: str, raw: Any) -> list[float] | array.array[float]:
    if isinstance(raw, list):
        if all(type(value) in (float, int) for value in raw):
            return raw
    elif isinstance(raw, str):
        try:
            packed = base64.b64decode(raw, validate=True)
        except ValueError:
            packed = b"?"
        if len(packed) % 4 == 0:
            return array.array("f", packed)
    raise upstream_invalid_response(
        provider, "sent an embedding that is neither floats nor base64 float32"
    )


def _first_choice(answer: Any, provider: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The answer object and its first choice (an answer without one breaks the API)."""
    body = obj(provider, answer, "its answer")
    choices = items(provider, body.get("choices"), "choices")
    if not choices:
        raise upstream_invalid_response(provider, "answered without choices")
    return body, obj(provider, choices[0], "choices[0]")


def _chat_response(answer: Any, provider: str) -> chat_pb2.ChatResponse:
    body, choice = _first_choice(answer, provider)
    raw_finish = text(provider, choice.get("finish_reason"), "choices[0].finish_reason")
    response = chat_pb2.ChatResponse(
        content=message_parts(provider, obj(provider, choice.get("message"), "message")),
        finish_reason=finish_reason(raw_finish),
        raw_finish_reason=raw_finish,
        provider_response_id=text(provider, body.get("id"), "id"),
    )
    fill_usage(provider, response.usage, body.get("usage"))
    return response


def create(name: str, config: RuntimeConfig) -> Backend:
    """OpenAI, or any OpenAI-compatible server (`kind: openai_compatible`)."""
    return OpenAIBackend(name, config, default_url=OPENAI_URL)


def create_lmstudio(name: str, config: RuntimeConfig) -> Backend:
    """LM Studio's OpenAI-compatible server on port 1234, with its model listing."""
    return OpenAIBackend(name, config, default_url=LMSTUDIO_URL, lmstudio=True)
