"""OpenTelemetry tracing: provider set-up and the instrumented backend wrapper.

Exporters come from the standard OTEL_* variables (endpoint, protocol,
headers, service name). Tracing off means no tracer at all: nothing on the hot
path, not even a no-op span.

Each upstream attempt is one CLIENT span named "{operation} {model}" with the
OpenTelemetry GenAI attributes; retries and fallbacks therefore show up as
sibling spans. The span's context is injected as `traceparent` into the
upstream HTTP request. Prompt and completion text is recorded only when the
operator opts in. Whatever is recorded, spans are exported through
`RedactingExporter`, so no secret the gateway holds leaves on a span. Management,
describe and token-count calls are not GenAI operations: the wrapper hands out the
wrapped backend's abilities untraced, by explicit forwarding (no `__getattr__`, which
static lookups cannot see through).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from modelgate.config import TelemetryConfig
from modelgate.errors import GatewayError
from modelgate.providers.base import (
    Backend,
    CallContext,
    ModelDescriber,
    ModelManager,
    Target,
    TokenCounter,
)
from modelgate.providers.params import Operation, UpstreamParams
from modelgate.telemetry.span_redaction import RedactingExporter

UnaryCall = Callable[[Target, Any, CallContext], Awaitable[Any]]
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


def _otlp_exporter() -> SpanExporter:
    protocol = os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    )
    if protocol.startswith("http"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as Http

        return Http()
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as Grpc

    return Grpc()


def setup_tracer(config: TelemetryConfig) -> tuple[trace.Tracer, TracerProvider] | None:
    """A tracer with its own provider, or None when tracing is off."""
    mode = tracing_mode(config)
    if mode == "off":
        return None
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "modelgate")})
    sampler = None  # the SDK reads OTEL_TRACES_SAMPLER / _ARG itself
    if "OTEL_TRACES_SAMPLER" not in os.environ:
        sampler = ParentBased(TraceIdRatioBased(config.trace_sample_ratio))
    provider = TracerProvider(resource=resource, sampler=sampler)
    exporter = ConsoleSpanExporter() if mode == "console" else _otlp_exporter()
    provider.add_span_processor(BatchSpanProcessor(RedactingExporter(exporter)))
    return provider.get_tracer(TRACER_NAME), provider


_OPERATIONS = {
    "chat": "chat",
    "stream_chat": "chat",
    "complete": "text_completion",
    "stream_complete": "text_completion",
    "embed": "embeddings",
}


def _request_attributes(target: Target, request: Any, operation: str) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": _OPERATIONS[operation],
        "gen_ai.provider.name": target.record.provider,
        "gen_ai.request.model": target.upstream_name,
        "modelgate.model": target.id,  # the catalog id of the deployment that answered
    }
    generation = getattr(request, "generation", None)
    if generation is not None:
        for field, name in (
            ("temperature", "temperature"),
            ("top_p", "top_p"),
            ("max_output_tokens", "max_tokens"),
            ("seed", "seed"),
            ("presence_penalty", "presence_penalty"),
            ("frequency_penalty", "frequency_penalty"),
            ("top_k", "top_k"),
        ):
            if generation.HasField(field):
                attributes[f"gen_ai.request.{name}"] = getattr(generation, field)
        if generation.stop_sequences:
            attributes["gen_ai.request.stop_sequences"] = list(generation.stop_sequences)
    return attributes


def _record_result(span: Span, result: Any) -> None:
    """The response attributes, set in one call (the SDK locks and validates per call)."""
    attributes: dict[str, Any] = {}
    usage = getattr(result, "usage", None)
    if usage is not None:
        attributes["gen_ai.usage.input_tokens"] = usage.input_tokens
        attributes["gen_ai.usage.output_tokens"] = usage.output_tokens
    if getattr(result, "provider_response_id", ""):
        attributes["gen_ai.response.id"] = result.provider_response_id
    raw_finish = getattr(result, "raw_finish_reason", "")
    if raw_finish:
        attributes["gen_ai.response.finish_reasons"] = (raw_finish,)
    span.set_attributes(attributes)


def _record_error(span: Span, error: BaseException) -> None:
    if isinstance(error, GatewayError):
        span.set_attribute("error.type", error.reason_name)
        span.set_status(Status(StatusCode.ERROR, error.reason_name))
    else:
        span.set_attribute("error.type", type(error).__name__)
        span.set_status(Status(StatusCode.ERROR))


class InstrumentedBackend:
    """Wraps a backend: one CLIENT span per upstream call, trace context on the HTTP request."""

    def __init__(self, inner: Backend, tracer: trace.Tracer, capture_content: bool) -> None:
        self._inner = inner
        self._tracer = tracer
        self._capture = capture_content
        self.runtime = inner.runtime

    def _start(self, operation: str, target: Target, request: Any, call: CallContext) -> Span:
        attributes = _request_attributes(target, request, operation)
        name = f"{attributes['gen_ai.operation.name']} {target.upstream_name}"
        span = self._tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
        headers: dict[str, str] = {}
        W3C.inject(headers, context=trace.set_span_in_context(span))
        call.trace_headers = headers
        if self._capture and hasattr(request, "messages"):
            from google.protobuf import json_format

            span.set_attribute(
                "gen_ai.input.messages",
                str([json_format.MessageToDict(m) for m in request.messages]),
            )
        return span

    async def _unary(
        self, operation: str, method: UnaryCall, target: Target, request: Any, call: CallContext
    ) -> Any:
        if not trace.get_current_span().is_recording():
            # The call is not sampled: no child span, no header (nothing would be recorded).
            return await method(target, request, call)
        span = self._start(operation, target, request, call)
        try:
            result = await method(target, request, call)
        except BaseException as error:
            _record_error(span, error)
            span.end()
            raise
        _record_result(span, result)
        if self._capture and hasattr(result, "content"):
            span.set_attribute("gen_ai.output.text", "".join(p.text for p in result.content))
        span.end()
        return result

    async def _stream(
        self, operation: str, method: StreamCall, target: Target, request: Any, call: CallContext
    ) -> AsyncIterator[Any]:
        if not trace.get_current_span().is_recording():
            async for event in method(target, request, call):
                yield event
            return
        span = self._start(operation, target, request, call)
        try:
            async for event in method(target, request, call):
                if event.HasField("end"):
                    _record_result(span, event.end)
                yield event
        except BaseException as error:
            _record_error(span, error)
            raise
        finally:
            span.end()

    async def chat(self, target: Target, request: Any, call: CallContext) -> Any:
        """Traced chat."""
        return await self._unary("chat", self._inner.chat, target, request, call)

    def stream_chat(self, target: Target, request: Any, call: CallContext) -> AsyncIterator[Any]:
        """Traced streaming chat."""
        return self._stream("stream_chat", self._inner.stream_chat, target, request, call)

    async def complete(self, target: Target, request: Any, call: CallContext) -> Any:
        """Traced completion."""
        return await self._unary("complete", self._inner.complete, target, request, call)

    def stream_complete(
        self, target: Target, request: Any, call: CallContext
    ) -> AsyncIterator[Any]:
        """Traced streaming completion."""
        return self._stream("stream_complete", self._inner.stream_complete, target, request, call)

    async def embed(self, target: Target, request: Any, call: CallContext) -> Any:
        """Traced embeddings."""
        return await self._unary("embed", self._inner.embed, target, request, call)

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
