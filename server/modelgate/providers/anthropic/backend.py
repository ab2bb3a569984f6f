"""The Anthropic backend: Messages API calls wired to the conversions beside it.

Chat, streaming and completions go through `HttpUpstream` (raw aiohttp and
orjson, about 4x the SDK's throughput); only CountTokens, rare and
type-heavy, uses the official SDK, built with `max_retries=0` so the router
stays the only retry loop and with its tracing off so no prompt text reaches
spans. Embeddings are not offered by Anthropic: `BackendDefaults` answers
UNIMPLEMENTED, and the router's capability check names models that can.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import anthropic
from typing_extensions import override

from modelgate.config import RuntimeConfig
from modelgate.errors import upstream_timeout, upstream_unavailable
from modelgate.providers.anthropic.request import (
    MESSAGES,
    MessagesCall,
    chat_call,
    complete_call,
    count_tokens_body,
)
from modelgate.providers.anthropic.response import chat_response, complete_response
from modelgate.providers.anthropic.stream import Event, StreamTranslator, translate
from modelgate.providers.base import (
    Backend,
    BackendDefaults,
    CallContext,
    Target,
)
from modelgate.providers.http import DEFAULT_CONNECTIONS, HttpUpstream, sse_events
from modelgate.providers.params import Operation, UpstreamParams
from modelgate.providers.reasoning_parts import DROPPED_REASONING_KEY
from modelgate.providers.upstream_errors import classify
from modelgate.v1 import chat_pb2, completion_pb2, model_pb2, stream_pb2, tokens_pb2

PROVIDER = "anthropic"
"""ErrorInfo domain of upstream failures, whatever the runtime is called."""
DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
MESSAGES_PATH = "/v1/messages"


class AnthropicBackend(BackendDefaults):
    """One Anthropic account (or an API-compatible endpoint at another base URL)."""

    def __init__(self, runtime: str, config: RuntimeConfig) -> None:
        self.runtime = runtime
        self._key = config.resolved_api_key() or ""
        self._base_url = (config.resolved_base_url() or DEFAULT_BASE_URL).rstrip("/")
        self._version = str(config.options.get("anthropic_version", API_VERSION))
        self._extra_headers = dict(config.headers)  # e.g. anthropic-beta
        headers = {"anthropic-version": self._version, **self._extra_headers}
        if self._key:  # without one the API answers 401, which names the missing header
            headers["x-api-key"] = self._key
        self.upstream = HttpUpstream(
            PROVIDER,
            self._base_url,
            headers,
            connections=int(config.options.get("max_connections", DEFAULT_CONNECTIONS)),
        )
        self._sdk: anthropic.AsyncAnthropic | None = None

    @override
    def generation_params(self, target: Target, operation: Operation) -> UpstreamParams:
        """Chat and Complete both become Messages calls."""
        return MESSAGES

    async def chat(
        self, target: Target, request: chat_pb2.ChatRequest, call: CallContext
    ) -> chat_pb2.ChatResponse:
        """One Messages call."""
        plan = chat_call(target, request, stream=False)
        body, _ = await self.upstream.post_json(MESSAGES_PATH, plan.body, call)
        response = chat_response(PROVIDER, body, plan.json_tool)
        _note_dropped(plan, response.metadata)
        return response

    async def _events(
        self, target: Target, body: dict[str, Any], json_tool: str | None, call: CallContext
    ) -> AsyncIterator[Event]:
        """Our events of one streamed Messages call; the connection closes on exit."""
        translator = StreamTranslator(PROVIDER, json_tool)
        async with self.upstream.stream(MESSAGES_PATH, body, call) as response:
            translator.headers = response.headers
            async for event in translate(translator, sse_events(response, call.max_line_bytes)):
                yield event

    async def stream_chat(
        self, target: Target, request: chat_pb2.ChatRequest, call: CallContext
    ) -> AsyncIterator[chat_pb2.StreamChatResponse]:
        """Text, tool-call and reasoning deltas, then one end event with the provider's usage."""
        plan = chat_call(target, request, stream=True)
        async for event in self._events(target, plan.body, plan.json_tool, call):
            if isinstance(event, stream_pb2.TextDelta):
                yield chat_pb2.StreamChatResponse(text_delta=event)
            elif isinstance(event, stream_pb2.ToolCallDelta):
                yield chat_pb2.StreamChatResponse(tool_call_delta=event)
            elif isinstance(event, stream_pb2.ReasoningDelta):
                yield chat_pb2.StreamChatResponse(reasoning_delta=event)
            else:
                _note_dropped(plan, event.metadata)
                yield chat_pb2.StreamChatResponse(end=event)

    @override
    async def complete(
        self, target: Target, request: completion_pb2.CompleteRequest, call: CallContext
    ) -> completion_pb2.CompleteResponse:
        """The prompt as one user turn; the answer's text is the completion."""
        plan = complete_call(target, request, stream=False)
        body, _ = await self.upstream.post_json(MESSAGES_PATH, plan.body, call)
        return complete_response(PROVIDER, body)

    @override
    async def stream_complete(
        self, target: Target, request: completion_pb2.CompleteRequest, call: CallContext
    ) -> AsyncIterator[completion_pb2.StreamCompleteResponse]:
        """Text deltas of the prompt's answer, then one end event."""
        plan = complete_call(target, request, stream=True)
        async for event in self._events(target, plan.body, None, call):
            if isinstance(event, stream_pb2.TextDelta):
                yield completion_pb2.StreamCompleteResponse(text_delta=event)
            elif isinstance(event, stream_pb2.StreamEnd):
                yield completion_pb2.StreamCompleteResponse(end=event)

    def _client(self) -> anthropic.AsyncAnthropic:
        """The SDK client, made on first use inside the running loop (aiohttp transport)."""
        if self._sdk is None:
            self._sdk = anthropic.AsyncAnthropic(
                api_key=self._key,
                base_url=self._base_url,
                max_retries=0,
                default_headers={"anthropic-version": self._version, **self._extra_headers},
                open_telemetry=False,
                http_client=anthropic.DefaultAioHttpClient(),
            )
        return self._sdk

    async def count_tokens(
        self, target: Target, request: tokens_pb2.CountTokensRequest, call: CallContext
    ) -> tokens_pb2.CountTokensResponse:
        """Exact count from /v1/messages/count_tokens (text counts as one user turn)."""
        body = count_tokens_body(target, request)
        remaining = call.remaining()
        if remaining is not None and remaining <= 0:
            raise upstream_timeout(PROVIDER)
        if remaining is not None:
            body["timeout"] = remaining  # the SDK's own default (10 min) otherwise
        try:
            result = await self._client().messages.count_tokens(
                **body, extra_headers=call.trace_headers or None
            )
        except anthropic.APIStatusError as exc:
            raise classify(PROVIDER, exc.status_code, exc.body, exc.response.headers) from None
        except anthropic.APITimeoutError:
            if remaining is None:
                raise upstream_unavailable(PROVIDER, "token count timed out") from None
            raise upstream_timeout(PROVIDER) from None
        except anthropic.APIConnectionError:
            raise upstream_unavailable(
                PROVIDER, "connection failed while counting tokens"
            ) from None
        return tokens_pb2.CountTokensResponse(
            input_tokens=result.input_tokens,
            method=tokens_pb2.COUNT_METHOD_PROVIDER_API,
            tokenizer="anthropic",
            context_window=target.record.context_window,
        )

    @override
    async def discover(self) -> list[model_pb2.Model] | None:
        """Anthropic models are configured in the catalog, not discovered."""
        return None

    @override
    async def aclose(self) -> None:
        """Close the pooled connections of both HTTP paths."""
        await self.upstream.aclose()
        if self._sdk is not None:
            await self._sdk.close()
            self._sdk = None


def _note_dropped(plan: MessagesCall, metadata: MutableMapping[str, str]) -> None:
    """Name the reasoning parts Claude could not be sent (other providers' formats)."""
    if plan.dropped_reasoning:
        metadata[DROPPED_REASONING_KEY] = ",".join(plan.dropped_reasoning)


def create(name: str, config: RuntimeConfig) -> Backend:
    """The factory named by the registry for kind "anthropic"."""
    return AnthropicBackend(name, config)
