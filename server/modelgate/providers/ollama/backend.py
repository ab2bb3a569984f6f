"""The Ollama backend: inference, discovery and model management for one Ollama host.

One backend per configured runtime key ("ollama", "ollama/10.0.0.5:11434");
discovered models are `<tag>@<runtime key>`. All HTTP goes through the shared
`HttpUpstream`, so deadlines, cancellation and error mapping match every
other backend.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from typing_extensions import override

from modelgate.config import RuntimeConfig
from modelgate.errors import (
    GatewayError,
    model_not_on_runtime,
    upstream_invalid_response,
    upstream_unavailable,
)
from modelgate.providers.base import (
    BackendDefaults,
    CallContext,
    Target,
)
from modelgate.providers.http import DEFAULT_CONNECTIONS, HttpUpstream, ndjson_lines
from modelgate.providers.image_fetch import ImageFetcher
from modelgate.providers.ollama.manage import (
    ShowFacts,
    model_record,
    pull_progress,
    running_model,
    show_details,
    show_facts,
    tag_name,
)
from modelgate.providers.ollama.request import (
    OPTIONS,
    chat_body,
    embed_body,
    generate_body,
    keep_alive_value,
)
from modelgate.providers.ollama.response import (
    PROVIDER,
    chat_response,
    complete_response,
    count_texts,
    embed_response,
    estimate_tokens,
)
from modelgate.providers.ollama.stream import chat_events, generate_events, parse_line
from modelgate.providers.params import Operation, UpstreamParams
from modelgate.providers.reasoning_parts import is_plain, note_unsent, unsent_reasoning
from modelgate.records import public_endpoint
from modelgate.v1 import (
    chat_pb2,
    completion_pb2,
    embedding_pb2,
    model_pb2,
    tokens_pb2,
)

DEFAULT_BASE_URL = "http://127.0.0.1:11434"
DISCOVERY_SECONDS = 10.0
"""Bound on one discovery (listing plus /api/show of new models): refresh must not hang."""
SHOW_CONCURRENCY = 4
"""Parallel /api/show calls while discovering new models (Ollama reads each from disk)."""


class OllamaBackend(BackendDefaults):
    """Backend, ModelManager and ModelDescriber for one Ollama host."""

    def __init__(self, name: str, config: RuntimeConfig) -> None:
        self.runtime = name
        base_url = config.resolved_base_url() or DEFAULT_BASE_URL
        self.endpoint = public_endpoint(base_url)
        headers = dict(config.headers)
        key = config.resolved_api_key()  # for an Ollama behind an authenticating proxy
        if key:
            headers.setdefault("authorization", f"Bearer {key}")
        self.http = HttpUpstream(
            PROVIDER,
            base_url,
            headers,
            connections=int(config.options.get("max_connections", DEFAULT_CONNECTIONS)),
        )
        self.discovery_seconds = float(config.options.get("discovery_seconds", DISCOVERY_SECONDS))
        self.images = ImageFetcher()
        """Ollama takes inline images only: the gateway fetches URL images (checked, pinned)."""
        self._facts: dict[tuple[str, str], ShowFacts] = {}

    # -- inference -------------------------------------------------------------------------

    @override
    def generation_params(self, target: Target, operation: Operation) -> UpstreamParams:
        """Every field has an Ollama option, on /api/chat and /api/generate alike."""
        return OPTIONS

    async def chat(
        self, target: Target, request: chat_pb2.ChatRequest, call: CallContext
    ) -> chat_pb2.ChatResponse:
        request = await self.images.inline(target, request, call)
        body = chat_body(target, request, stream=False)
        data, _ = await self.http.post_json("/api/chat", body, call)
        response = chat_response(data)
        note_unsent(response.metadata, unsent_reasoning(request.messages, is_plain))
        return response

    async def stream_chat(
        self, target: Target, request: chat_pb2.ChatRequest, call: CallContext
    ) -> AsyncIterator[chat_pb2.StreamChatResponse]:
        request = await self.images.inline(target, request, call)
        body = chat_body(target, request, stream=True)
        async with self.http.stream("/api/chat", body, call) as response:
            async for event in chat_events(ndjson_lines(response, call.max_line_bytes)):
                if event.HasField("end"):
                    note_unsent(event.end.metadata, unsent_reasoning(request.messages, is_plain))
                yield event

    @override
    async def complete(
        self, target: Target, request: completion_pb2.CompleteRequest, call: CallContext
    ) -> completion_pb2.CompleteResponse:
        body = generate_body(target, request, stream=False)
        data, _ = await self.http.post_json("/api/generate", body, call)
        return complete_response(data)

    @override
    async def stream_complete(
        self, target: Target, request: completion_pb2.CompleteRequest, call: CallContext
    ) -> AsyncIterator[completion_pb2.StreamCompleteResponse]:
        body = generate_body(target, request, stream=True)
        async with self.http.stream("/api/generate", body, call) as response:
            async for event in generate_events(ndjson_lines(response, call.max_line_bytes)):
                yield event

    @override
    async def embed(
        self, target: Target, request: embedding_pb2.EmbedRequest, call: CallContext
    ) -> embedding_pb2.EmbedResponse:
        data, _ = await self.http.post_json("/api/embed", embed_body(target, request), call)
        return embed_response(data, len(request.inputs))

    async def count_tokens(
        self, target: Target, request: tokens_pb2.CountTokensRequest, call: CallContext
    ) -> tokens_pb2.CountTokensResponse:
        """An estimate: Ollama has no tokenize endpoint (see `estimate_tokens`)."""
        return tokens_pb2.CountTokensResponse(
            input_tokens=estimate_tokens(count_texts(request)),
            method=tokens_pb2.COUNT_METHOD_ESTIMATE,
            context_window=target.record.context_window,
        )

    # -- discovery and details -------------------------------------------------------------

    @override
    async def discover(self) -> list[model_pb2.Model] | None:
        """GET /api/tags; /api/show only for models not seen before (cached by digest)."""
        call = CallContext(deadline=time.monotonic() + self.discovery_seconds)
        data, _ = await self.http.request_json("GET", "/api/tags", None, call)
        models = data.get("models") if isinstance(data, dict) else None
        if not isinstance(models, list):
            raise upstream_invalid_response(PROVIDER, "answered /api/tags without a model list")
        entries = [e for e in models if tag_name(e)]
        facts = await self._show_all(entries, call)
        return [model_record(e, self.runtime, self.endpoint, facts.get(_key(e))) for e in entries]

    async def _show_all(
        self, entries: list[dict[str, Any]], call: CallContext
    ) -> dict[tuple[str, str], ShowFacts]:
        keys = {_key(e) for e in entries}
        self._facts = {k: v for k, v in self._facts.items() if k in keys}
        missing = sorted(keys - self._facts.keys())
        gate = asyncio.Semaphore(SHOW_CONCURRENCY)

        async def show(key: tuple[str, str]) -> None:
            async with gate:
                try:
                    data, _ = await self.http.post_json("/api/show", {"model": key[0]}, call)
                except GatewayError:
                    return  # heuristic this time; asked again on the next refresh
                self._facts[key] = show_facts(data)

        await asyncio.gather(*(show(key) for key in missing))
        return self._facts

    @override
    def model_manager(self) -> OllamaBackend:
        return self

    @override
    def model_describer(self) -> OllamaBackend:
        return self

    async def describe(self, target: Target, call: CallContext) -> model_pb2.ModelDetails:
        """POST /api/show: license, parameters, template and format details."""
        data, _ = await self.http.post_json("/api/show", {"model": target.upstream_name}, call)
        return show_details(data, target.record.details)

    # -- model management ------------------------------------------------------------------

    def _model(self, name: str) -> str:
        """The Ollama tag for a name; a catalog id of this runtime (`tag@runtime`) works too."""
        suffix = f"@{self.runtime}"
        return name[: -len(suffix)] if name.endswith(suffix) else name

    async def pull(
        self, name: str, insecure: bool, call: CallContext
    ) -> AsyncIterator[model_pb2.PullModelResponse]:
        """POST /api/pull; progress lines until `success` (a body ending before it failed)."""
        body = {"model": self._model(name), "insecure": insecure, "stream": True}
        async with self.http.stream("/api/pull", body, call) as response:
            async for line in ndjson_lines(response, call.max_line_bytes):
                progress = pull_progress(parse_line(line))
                yield progress
                if progress.status == "success":
                    return
        raise upstream_unavailable(PROVIDER, "pull ended without success")

    async def delete(self, name: str, call: CallContext) -> None:
        """DELETE /api/delete; a missing model is NOT_FOUND, the caller's mistake."""
        model = self._model(name)
        await self._managing(
            model, self.http.request_json("DELETE", "/api/delete", {"model": model}, call)
        )

    async def running(self, call: CallContext) -> list[model_pb2.RunningModel]:
        """GET /api/ps."""
        data, _ = await self.http.request_json("GET", "/api/ps", None, call)
        models = data.get("models") if isinstance(data, dict) else None
        if not isinstance(models, list):
            raise upstream_invalid_response(PROVIDER, "answered /api/ps without a model list")
        return [running_model(e, self.runtime) for e in models if tag_name(e)]

    async def load(self, name: str, keep_alive: float | None, call: CallContext) -> None:
        """POST /api/generate with no prompt: Ollama loads the model and answers at once."""
        model = self._model(name)
        body: dict[str, Any] = {"model": model}
        seconds = keep_alive_value(keep_alive)
        if seconds is not None:
            body["keep_alive"] = seconds
        await self._managing(model, self.http.post_json("/api/generate", body, call))

    async def unload(self, name: str, call: CallContext) -> None:
        """POST /api/generate with keep_alive 0: Ollama frees the model's memory now."""
        model = self._model(name)
        body = {"model": model, "keep_alive": 0}
        await self._managing(model, self.http.post_json("/api/generate", body, call))

    async def _managing(self, model: str, request: Awaitable[object]) -> None:
        """Await a management request; Ollama's 404 becomes NOT_FOUND naming the runtime."""
        try:
            await request
        except GatewayError as exc:
            if exc.metadata.get("http_status") != "404":
                raise
            raise model_not_on_runtime(model, self.runtime) from exc

    @override
    async def aclose(self) -> None:
        await self.http.aclose()


def _key(entry: dict[str, Any]) -> tuple[str, str]:
    """Cache key of a listed model: a re-pulled tag has a new digest, so it is shown again."""
    return tag_name(entry), str(entry.get("digest") or "")


def create(name: str, config: RuntimeConfig) -> OllamaBackend:
    """The registry's factory for kind "ollama"."""
    return OllamaBackend(name, config)
