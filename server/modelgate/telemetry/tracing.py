"""OpenTelemetry tracing: set-up and the instrumented backend wrapper.

Spans are the gateway's own (`span_recorder`, `recording_span`: the trace API, recorded
as plain fields), encoded to OTLP on an export thread (`otlp_encoding`, `span_export`)
and sent by the OTLP exporters' transports (`otlp_transport`), configured by the standard
OTEL_* variables (endpoint, protocol, headers, service name, sampler, span limits, batch
sizes). Tracing every call with the SDK's spans cost 36-43% of throughput; see
bench/README.md (issue 20). Tracing off means no tracer at all: nothing on the hot path,
not even a no-op span.

Each upstream attempt is one CLIENT span named "{operation} {model}" with the
OpenTelemetry GenAI attributes; retries and fallbacks therefore show up as
sibling spans. The span's context is injected as `traceparent` into the
upstream HTTP request. Prompt and completion text is recorded only when the
operator opts in. Whatever is recorded, the encoder cuts out every secret the gateway
holds, so none leaves on a span. Management,
describe and token-count calls are not GenAI operations: the wrapper hands out the
wrapped backend's abilities untraced, by explicit forwarding (no `__getattr__`, which
static lookups cannot see through).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import Sampler
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.semconv._incubating.attributes.gen_ai_attributes import (
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_RESPONSE_MODEL,
)
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from modelgate.client.transcript import Transcript
from modelgate.config import TelemetryConfig
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
from modelgate.telemetry.current_span import current_span
from modelgate.telemetry.genai_content import input_content, output_messages
from modelgate.telemetry.media_tracing import TracedMedia
from modelgate.telemetry.otlp_encoding import (
    Encoder,
    SpanLimitsUsed,
    resource_bytes,
    scope_bytes,
)
from modelgate.telemetry.otlp_transport import ConsoleSender, otlp_sender
from modelgate.telemetry.recording_span import RecordingSpan
from modelgate.telemetry.span_attributes import (
    UNIQUE_PER_CALL,
    Deployment,
    answer_of,
    deployment_attributes,
    record_error,
    request_attributes,
    result_attributes,
)
from modelgate.telemetry.span_context import ParentBasedRatio, upstream_headers
from modelgate.telemetry.span_export import Sender, SpanExport
from modelgate.telemetry.span_recorder import SpanRecorder
from modelgate.v1.content_pb2 import ContentPart

UnaryCall = Callable[[Target, Any, CallContext], Coroutine[Any, Any, Any]]
StreamCall = Callable[[Target, Any, CallContext], AsyncIterator[Any]]
TRACER_NAME = "modelgate"
W3C = TraceContextTextMapPropagator()
"""W3C trace context only: cheaper than the global composite propagator (no baggage)."""


def tracing_mode(config: TelemetryConfig) -> str:
    """The effective mode: explicit config, else `otlp` when an OTLP endpoint is configured."""
    if config.tracing != "off":
        return config.tracing
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    ):
        return "otlp"
    return "off"


SHUTDOWN_FLUSH_MS = 5_000
"""How long a stopping gateway waits for its last spans to leave (a hung collector must
not hold the exit)."""


class Tracing:
    """The gateway's tracer and the queue its spans are exported from."""

    def __init__(self, export: SpanExport, tracer: SpanRecorder) -> None:
        self.export = export
        self.tracer = tracer

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Send every span ended so far (blocks: call it off the event loop)."""
        return self.export.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: int = SHUTDOWN_FLUSH_MS) -> bool:
        """Flush within `timeout_millis`, then stop exporting (blocks: off the event loop)."""
        return self.export.shutdown(timeout_millis)


def _sampler(ratio: float) -> Sampler | ParentBasedRatio:
    """OTEL_TRACES_SAMPLER(_ARG) when set, as the SDK resolves it; else parent-based with
    `ratio` of the root traces."""
    if "OTEL_TRACES_SAMPLER" in os.environ:
        return TracerProvider(shutdown_on_exit=False).sampler
    return ParentBasedRatio(ratio)


def setup_tracer(config: TelemetryConfig) -> tuple[SpanRecorder, Tracing] | None:
    """A tracer and its export, or None when tracing is off."""
    mode = tracing_mode(config)
    if mode == "off" or os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "modelgate")})
    limits = SpanLimits()
    used = SpanLimitsUsed(
        limits.max_span_attributes,
        limits.max_span_attribute_length,
        limits.max_events,
        limits.max_event_attributes,
    )
    encoder = Encoder(
        resource_bytes(resource.attributes), scope_bytes(TRACER_NAME, None), used, UNIQUE_PER_CALL
    )
    sender: Sender = (
        ConsoleSender(resource, InstrumentationScope(TRACER_NAME))
        if mode == "console"
        else otlp_sender()
    )
    export = SpanExport(sender, encoder)
    tracer = SpanRecorder(
        _sampler(config.trace_sample_ratio), RandomIdGenerator(), export.submit, used.events
    )
    return tracer, Tracing(export, tracer)


def _record_answer(  # noqa: PLR0917 (the traced call's own, and its span's)
    span: Span, deployment: Deployment, target: Target, result: Any, call: CallContext,
    operation: str,
) -> None:  # fmt: skip
    """The answer's attributes: on a span of ours as one tuple (`span_answer`), after the
    answered block if the span still has only the first attempt's (the block holds the
    response model), else after the response model; on any other span, as attributes."""
    if type(span) is not RecordingSpan:
        span.set_attributes(result_attributes(target, result, call, operation))
        return
    if not span.extend_block(deployment.first, deployment.answered):
        span.add_new_attributes({GEN_AI_RESPONSE_MODEL: target.upstream_name})
    span.set_answer(answer_of(result, call, operation))


class InstrumentedBackend:
    """Wraps a backend: one CLIENT span per upstream call, trace context on the HTTP request."""

    def __init__(self, inner: Backend, tracer: trace.Tracer, capture: int) -> None:
        self._inner = inner
        self._tracer = tracer
        self._recorder = tracer if isinstance(tracer, SpanRecorder) else None
        """The gateway's own tracer starts a child of the span in hand (no context lookup);
        any other tracer (the SDK's, in the bench) goes through the API."""
        self._capture = capture
        """Characters of content each content attribute may hold; 0: no content capture."""
        self.runtime = inner.runtime

    def _start(
        self, parent: Span, operation: str, target: Target, request: Any, call: CallContext
    ) -> tuple[Span, Deployment]:
        deployment = deployment_attributes(target, operation)
        base, attributes = request_attributes(request, operation, call, deployment)
        if self._capture:
            attributes.update(input_content(request, self._capture))
        name = deployment.span_name
        if self._recorder is not None and type(parent) is RecordingSpan:
            span = self._recorder.start_child(parent, name, SpanKind.CLIENT, attributes, base)
        elif self._recorder is not None:
            span = self._recorder.start_under(parent, name, SpanKind.CLIENT, attributes, base=base)
        else:
            attributes = {**base, **attributes}
            span = self._tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
        headers = upstream_headers(span)
        if headers is not None:
            call.trace_headers = headers
        return span, deployment

    def _traced(
        self, operation: str, method: UnaryCall, target: Target, request: Any, call: CallContext
    ) -> Coroutine[Any, Any, Any]:
        """The upstream call, traced when the call is sampled; otherwise the wrapped
        backend's own coroutine: no span, no header, no coroutine layer around it."""
        parent = current_span()
        if parent.ended if type(parent) is RecordingSpan else not parent.is_recording():
            return method(target, request, call)
        return self._unary(parent, operation, method, target, request, call)

    def _traced_stream(
        self, operation: str, method: StreamCall, target: Target, request: Any, call: CallContext
    ) -> AsyncIterator[Any]:
        """`_traced` for a stream (an untraced one has no generator layer per event)."""
        parent = current_span()
        if parent.ended if type(parent) is RecordingSpan else not parent.is_recording():
            return method(target, request, call)
        return self._stream(parent, operation, method, target, request, call)

    async def _unary(  # noqa: PLR0917 (the traced call's own arguments, and its parent)
        self,
        parent: Span,
        operation: str,
        method: UnaryCall,
        target: Target,
        request: Any,
        call: CallContext,
    ) -> Any:
        span, deployment = self._start(parent, operation, target, request, call)
        try:
            result = await method(target, request, call)
        except BaseException as error:
            record_error(span, error)
            span.end()
            raise
        _record_answer(span, deployment, target, result, call, operation)
        if self._capture and operation != "embed":
            content = result.content if operation == "chat" else [ContentPart(text=result.text)]
            span.set_attribute(
                GEN_AI_OUTPUT_MESSAGES, output_messages(content, result, self._capture)
            )
        span.end()
        return result

    async def _stream(  # noqa: PLR0917 (the traced call's own arguments, and its parent)
        self,
        parent: Span,
        operation: str,
        method: StreamCall,
        target: Target,
        request: Any,
        call: CallContext,
    ) -> AsyncIterator[Any]:
        span, deployment = self._start(parent, operation, target, request, call)
        transcript = Transcript() if self._capture else None
        try:
            async for event in method(target, request, call):
                if event.HasField("end"):
                    _record_answer(span, deployment, target, event.end, call, operation)
                    if transcript is not None:
                        span.set_attribute(
                            GEN_AI_OUTPUT_MESSAGES,
                            output_messages(transcript.content(), event.end, self._capture),
                        )
                elif transcript is not None:
                    transcript.add(event)
                yield event
        except BaseException as error:
            record_error(span, error)
            raise
        finally:
            span.end()

    def chat(self, target: Target, request: Any, call: CallContext) -> Coroutine[Any, Any, Any]:
        """Traced chat (`_traced`: the traced coroutine itself, or the untraced one)."""
        return self._traced("chat", self._inner.chat, target, request, call)

    def stream_chat(self, target: Target, request: Any, call: CallContext) -> AsyncIterator[Any]:
        """Traced streaming chat."""
        return self._traced_stream("stream_chat", self._inner.stream_chat, target, request, call)

    def complete(self, target: Target, request: Any, call: CallContext) -> Coroutine[Any, Any, Any]:
        """Traced completion (`_traced`)."""
        return self._traced("complete", self._inner.complete, target, request, call)

    def stream_complete(
        self, target: Target, request: Any, call: CallContext
    ) -> AsyncIterator[Any]:
        """Traced streaming completion."""
        return self._traced_stream(
            "stream_complete", self._inner.stream_complete, target, request, call
        )

    def embed(self, target: Target, request: Any, call: CallContext) -> Coroutine[Any, Any, Any]:
        """Traced embeddings (`_traced`)."""
        return self._traced("embed", self._inner.embed, target, request, call)

    async def count_tokens(self, target: Target, request: Any, call: CallContext) -> Any:
        """Not traced as a GenAI operation (no generation happens)."""
        return await self._inner.count_tokens(target, request, call)

    async def discover(self) -> Any:
        """Discovery is not traced."""
        return await self._inner.discover()

    async def aclose(self) -> None:
        """Close the wrapped backend."""
        await self._inner.aclose()

    def model_manager(self) -> ModelManager | None:
        """The wrapped backend's model management, untraced."""
        return self._inner.model_manager()

    def model_describer(self) -> ModelDescriber | None:
        """The wrapped backend's model details, untraced."""
        return self._inner.model_describer()

    def token_counter(self) -> TokenCounter | None:
        """The wrapped backend's local tokenizer, untraced."""
        return self._inner.token_counter()

    def generation_params(self, target: Target, operation: Operation) -> UpstreamParams | None:
        """The wrapped backend's parameter declaration."""
        return self._inner.generation_params(target, operation)

    def media(self) -> MediaBackend | None:
        """The wrapped backend's media ability, each upstream attempt a CLIENT span."""
        media = self._inner.media()
        return None if media is None else TracedMedia(media, self._tracer)
