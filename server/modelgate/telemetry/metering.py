"""The metered backend wrapper: `gen_ai.client.operation.duration`, once per upstream attempt.

The gateway is the client of each upstream, so every attempt the router makes (retries
and fallbacks included) is one observation: a unary call from its start to its answer
or failure, a stream from its first read until its `end` event or its failure. Labels
name the attempt as its CLIENT span does (`span_attributes`): the operation, the model's
provider, the upstream's model name (as requested and, on success, as answered), the
upstream's address and port when its runtime has a base URL, and on failure `error.type`
(the ErrorInfo reason, else the exception's class name). Token usage is not recorded
here: the RPC middleware records it once per call (`genai_metrics` says why).

A wrapper of its own rather than a hook in the tracing wrapper: the extra layer is what
merging would save, and it measured below the noise for a unary call and ~0.3 us per
stream event (`python -m bench.wrapper_cost`); metering itself adds ~2 us per call and
~0.4 us per event. Abilities are forwarded explicitly, as in `tracing.InstrumentedBackend`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from prometheus_client import Histogram

from modelgate.providers.base import (
    Backend,
    CallContext,
    MediaBackend,
    ModelDescriber,
    ModelManager,
    Target,
    TokenCounter,
)
from modelgate.providers.params import Operation, UpstreamParams
from modelgate.telemetry.genai_metrics import GenAiMetrics
from modelgate.telemetry.span_attributes import OPERATIONS, error_type, server_of

UnaryCall = Callable[[Target, Any, CallContext], Awaitable[Any]]
StreamCall = Callable[[Target, Any, CallContext], AsyncIterator[Any]]


@dataclass(slots=True, frozen=True)
class _Bound:
    """One operation on one deployment: its success child and its failure labels."""

    succeeded: Histogram
    failure: tuple[str, str, str, str, str, str]
    """The labels before `error_type` (no response model: no model answered)."""


class MeteredBackend:
    """Wraps a backend: the duration of every upstream attempt, by its outcome."""

    def __init__(self, inner: Backend, metrics: GenAiMetrics) -> None:
        self._inner = inner
        self._metrics = metrics
        self._bound: dict[tuple[str, str, str, str], _Bound] = {}
        self.runtime = inner.runtime

    def _series(self, operation: str, target: Target) -> _Bound:
        record = target.record
        key = (operation, target.upstream_name, record.provider, record.endpoint)
        found = self._bound.get(key)
        if found is None:
            server = server_of(record.endpoint) if record.endpoint else None
            address, port = (server[0], str(server[1])) if server else ("", "")
            model = target.upstream_name
            name = OPERATIONS[operation]
            success = (name, record.provider, model, model, address, port, "")
            found = self._bound[key] = _Bound(
                self._metrics.attempt(success), (name, record.provider, model, "", address, port)
            )
        return found

    def _failed(self, bound: _Bound, error: BaseException, seconds: float) -> None:
        self._metrics.attempt((*bound.failure, error_type(error))).observe(seconds)

    async def _unary(
        self, operation: str, method: UnaryCall, target: Target, request: Any, call: CallContext
    ) -> Any:
        bound = self._series(operation, target)
        started = time.perf_counter()
        try:
            result = await method(target, request, call)
        except BaseException as error:
            self._failed(bound, error, time.perf_counter() - started)
            raise
        bound.succeeded.observe(time.perf_counter() - started)
        return result

    async def _stream(
        self, operation: str, method: StreamCall, target: Target, request: Any, call: CallContext
    ) -> AsyncIterator[Any]:
        bound = self._series(operation, target)
        started = time.perf_counter()
        ended = False
        try:
            async for event in method(target, request, call):
                if not ended and event.HasField("end"):
                    ended = True  # the reader may close the stream after it: done here
                    bound.succeeded.observe(time.perf_counter() - started)
                yield event
            if not ended:  # no `end` event, yet no failure (a plugin's stream): ended here
                bound.succeeded.observe(time.perf_counter() - started)
        except BaseException as error:
            if not ended:
                self._failed(bound, error, time.perf_counter() - started)
            raise

    async def chat(self, target: Target, request: Any, call: CallContext) -> Any:
        """Metered chat."""
        return await self._unary("chat", self._inner.chat, target, request, call)

    def stream_chat(self, target: Target, request: Any, call: CallContext) -> AsyncIterator[Any]:
        """Metered streaming chat."""
        return self._stream("stream_chat", self._inner.stream_chat, target, request, call)

    async def complete(self, target: Target, request: Any, call: CallContext) -> Any:
        """Metered completion."""
        return await self._unary("complete", self._inner.complete, target, request, call)

    def stream_complete(
        self, target: Target, request: Any, call: CallContext
    ) -> AsyncIterator[Any]:
        """Metered streaming completion."""
        return self._stream("stream_complete", self._inner.stream_complete, target, request, call)

    async def embed(self, target: Target, request: Any, call: CallContext) -> Any:
        """Metered embeddings."""
        return await self._unary("embed", self._inner.embed, target, request, call)

    async def count_tokens(self, target: Target, request: Any, call: CallContext) -> Any:
        """Not a GenAI operation (no generation happens): not metered."""
        return await self._inner.count_tokens(target, request, call)

    async def discover(self) -> Any:
        """Discovery is not metered."""
        return await self._inner.discover()

    async def aclose(self) -> None:
        """Close the wrapped backend."""
        await self._inner.aclose()

    def model_manager(self) -> ModelManager | None:
        """The wrapped backend's model management, unmetered."""
        return self._inner.model_manager()

    def model_describer(self) -> ModelDescriber | None:
        """The wrapped backend's model details, unmetered."""
        return self._inner.model_describer()

    def token_counter(self) -> TokenCounter | None:
        """The wrapped backend's local tokenizer, unmetered."""
        return self._inner.token_counter()

    def generation_params(self, target: Target, operation: Operation) -> UpstreamParams | None:
        """The wrapped backend's parameter declaration."""
        return self._inner.generation_params(target, operation)

    def media(self) -> MediaBackend | None:
        """The wrapped backend's media ability (not metered or traced per call yet)."""
        return self._inner.media()
