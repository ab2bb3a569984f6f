"""The gateway's RPC middleware: the SERVER span, per-RPC metrics and the access log.

The one place that sees every call's outcome (answer, failure, auth refusal,
cancellation), so all three record from it. Applied only when one of them is enabled
(the access log alone: only around the generating RPCs), and only to
`modelgate.v1.ModelGateway`'s handlers: health and reflection stay open and untraced
(Kubernetes probes send no metadata). The handlers are wrapped once, at registration,
rather than by a `grpc.aio.ServerInterceptor`: grpc.aio runs an interceptor chain on every call,
which measured ~25 us of CPU per call here (`python -m bench.compare`), more
than the work the middleware itself does. Auth is not its concern: it runs outside,
in the api layer (`modelgate.api.auth_gate`), which reports the calls it refuses
to `refused`. No metric is labelled by the caller's key (cardinality) unless the operator
opts in (`telemetry.metrics_key_label`): spend per key is the usage API's. Uploads
(client-streaming and bidi RPCs) are labelled by the model their first message names.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2
from opentelemetry import trace
from opentelemetry.trace import INVALID_SPAN, SpanKind

from modelgate.client.transcript import Transcript
from modelgate.errors import GatewayError
from modelgate.records import usage_holder
from modelgate.request_streams import first_of, requested_model
from modelgate.telemetry.access_log import AccessLog
from modelgate.telemetry.current_span import enter, leave
from modelgate.telemetry.genai_metrics import OPERATIONS
from modelgate.telemetry.metrics import Metrics
from modelgate.telemetry.server_span import (
    SERVICE,
    ServerShape,
    end_server_span,
    server_span_shape,
)
from modelgate.telemetry.span_recorder import SpanRecorder
from modelgate.telemetry.tracing import W3C
from modelgate.v1.content_pb2 import ContentPart

OK = grpc.StatusCode.OK
_W3C_KEYS = frozenset(("traceparent", "tracestate"))
_NO_FAILURE: Mapping[str, str] = {}
Known = Callable[[str], bool]
Caller = Callable[[], str]
"""The calling key's id ("" without auth): the api layer knows it, telemetry is told."""


def _no_caller() -> str:
    return ""


@dataclass(slots=True)
class _Call:
    """What the middleware tracks for one RPC."""

    rpc: str
    requested: str
    model: str
    """`requested` when the catalog knows it, else "unknown" (the metrics' bounded label)."""
    started: float
    request: Any = None
    """Kept only for an access log with content."""
    span: Any = None
    shape: ServerShape | None = None
    """The SERVER span's name and blocks (with the span)."""
    token: Any = None
    trace_id: str = ""
    """The call's trace when it is exported (its own sampled span, or the caller's), for
    the access log (not formatted without one)."""
    first_at: float = 0.0
    """When a stream's first output delta left (0: none, or a unary call)."""
    transcript: Transcript | None = None
    """A stream's answer so far, folded only for an access log with content."""


FIRST_OUTPUT = frozenset({"text_delta", "tool_call_delta", "reasoning_delta", "chunk", "delta"})
"""Stream events that are generated output: a text, tool-call or reasoning delta (reasoning
is generated output too), image or audio bytes (`chunk`: not an image's or the audio's
header), a transcript `delta`."""


def _is_token(event: Any) -> bool:
    """Whether `event` ends the time to first token; PullModel's progress has no `event`
    oneof (WhichOneof raises)."""
    return "event" in event.DESCRIPTOR.oneofs_by_name and event.WhichOneof("event") in FIRST_OUTPUT


def _failure(
    code: grpc.StatusCode, error: BaseException | None, context: grpc.aio.ServicerContext[Any, Any]
) -> tuple[str, Mapping[str, str]]:
    """Our ErrorInfo reason and metadata (from the error, or the status the api layer aborted
    with), else the code's name and nothing. Read only on failures."""
    if isinstance(error, GatewayError):
        return error.reason_name, error.metadata
    raw = dict(context.trailing_metadata() or ()).get("grpc-status-details-bin")
    if isinstance(raw, bytes):
        info = error_details_pb2.ErrorInfo()
        for detail in status_pb2.Status.FromString(raw).details:
            if detail.Unpack(info):
                return str(info.reason), dict(info.metadata)
    return code.name, {}


class RpcMiddleware:
    """Tracing, metrics and the access log around every gateway RPC."""

    def __init__(
        self,
        *,
        tracer: SpanRecorder | None,
        metrics: Metrics | None,
        known_model: Known,
        access: AccessLog | None = None,
        caller: Caller = _no_caller,
    ) -> None:
        self.tracer = tracer
        self.metrics = metrics
        self.known_model = known_model
        self.access = access
        self.caller = caller

    def wrap(
        self, service: str, rpc: str, handler: grpc.RpcMethodHandler[Any, Any]
    ) -> grpc.RpcMethodHandler[Any, Any]:
        """The handler of `service`/`rpc` with the middleware around it (other services, and
        RPCs only the access log would see but it does not log, as is)."""
        return self._wrap(rpc, handler) if self._sees(service, rpc) else handler

    def _sees(self, service: str, rpc: str) -> bool:
        """Whether anything records `rpc` of `service`."""
        if service != SERVICE:
            return False
        logged = self.access is not None and self.access.logs(rpc)
        return logged or self.tracer is not None or self.metrics is not None

    def _wrap(
        self, rpc: str, handler: grpc.RpcMethodHandler[Any, Any]
    ) -> grpc.RpcMethodHandler[Any, Any]:
        if handler.unary_unary is not None:
            behavior: Any = handler.unary_unary

            async def unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
                call = self._begin(rpc, request, context)
                try:
                    response = await behavior(request, context)
                except BaseException as error:
                    self._end(call, context, error, None)
                    raise
                self._end(call, context, None, response)
                return response

            return grpc.unary_unary_rpc_method_handler(
                unary, handler.request_deserializer, handler.response_serializer
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._streaming(rpc, handler.unary_stream, upload=False),
                handler.request_deserializer,
                handler.response_serializer,
            )
        if handler.stream_unary is not None:
            behavior_upload: Any = handler.stream_unary

            async def upload(
                requests: AsyncIterator[Any], context: grpc.aio.ServicerContext[Any, Any]
            ) -> Any:
                first, whole = await first_of(requests)
                call = self._begin(rpc, first, context)
                try:
                    response = await behavior_upload(whole, context)
                except BaseException as error:
                    self._end(call, context, error, None)
                    raise
                self._end(call, context, None, response)
                return response

            return grpc.stream_unary_rpc_method_handler(
                upload, handler.request_deserializer, handler.response_serializer
            )
        return grpc.stream_stream_rpc_method_handler(
            self._streaming(rpc, handler.stream_stream, upload=True),
            handler.request_deserializer,
            handler.response_serializer,
        )

    def _streaming(self, rpc: str, behavior: Any, *, upload: bool) -> Any:
        """A server-streaming handler (`upload`: a bidi one, whose first request names
        the model) with the span, the open-streams gauge and the first-token time."""

        async def stream(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            first = request
            if upload:
                first, request = await first_of(request)
            call = self._begin(rpc, first, context)
            if call.request is not None:  # an access log with content: fold the answer
                call.transcript = Transcript()
            transcript = call.transcript
            last = None
            first_at = 0.0
            if self.metrics is not None:
                self.metrics.streams.inc()
            try:
                async for event in behavior(request, context):
                    if not first_at and _is_token(event):
                        first_at = time.perf_counter()
                    if transcript is not None:
                        transcript.add(event)
                    last = event
                    yield event
            except BaseException as error:
                call.first_at = first_at
                self._end(call, context, error, last)
                raise
            finally:
                if self.metrics is not None:
                    self.metrics.streams.dec()
            call.first_at = first_at
            self._end(call, context, None, last)

        return stream

    def refused(
        self,
        rpc: str,
        request: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        error: GatewayError,
    ) -> None:
        """Record a call refused before it ran (by auth): counted, traced and logged with its
        status."""
        if self._sees(SERVICE, rpc):
            self._end(self._begin(rpc, request, context), context, error, None)

    def _begin(self, rpc: str, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> _Call:
        requested = requested_model(request)
        model = requested if requested and self.known_model(requested) else "unknown"
        call = _Call(rpc, requested, model, time.perf_counter())
        access = self.access
        if access is not None and access.captures(rpc):
            call.request = request
        if self.tracer is not None:
            carrier = None
            for key, value in context.invocation_metadata() or ():
                if key in _W3C_KEYS:
                    carrier = carrier or {}
                    carrier[key] = value
            shape = call.shape = server_span_shape(rpc, model)
            if carrier is None:  # a new trace (an unsampled one: no span at all)
                call.span = span = self.tracer.start_root(shape.name, SpanKind.SERVER, shape.shared)
                if span is None:
                    return call
                call.token = enter(span, None)
            else:  # the caller's context is the only parent a SERVER span has
                parent = W3C.extract(carrier)
                span = self.tracer.start_under(
                    trace.get_current_span(parent), shape.name, SpanKind.SERVER, {},
                    base=shape.shared,
                )  # fmt: skip
                call.span = span if span is not INVALID_SPAN else None
                call.token = enter(span, parent)  # a caller's context is kept, sampled or not
            if access is not None:  # only the access log prints it
                call.trace_id = format(span.get_span_context().trace_id, "032x")
        return call

    def _end(
        self,
        call: _Call,
        context: grpc.aio.ServicerContext[Any, Any],
        error: BaseException | None,
        result: Any,
    ) -> None:
        if error is None:
            code = OK
        elif isinstance(error, GatewayError):
            code = error.code
        elif isinstance(error, asyncio.CancelledError):
            code = grpc.StatusCode.CANCELLED
        else:
            code = context.code() or grpc.StatusCode.UNKNOWN
        reason, failure = ("", _NO_FAILURE) if code == OK else _failure(code, error, context)
        access = self.access
        counted = self.metrics is not None or access is not None
        done = usage_holder(result) if result is not None and counted else None
        if self.metrics is not None:
            self._record(call, code, done)
        if call.span is not None and call.shape is not None:
            end_server_span(call.span, call.shape, code, reason)
        if call.token is not None:
            leave(call.token)
            call.token = None
        if access is not None and access.logs(call.rpc) and not access.skips(code != OK):
            access.record(
                rpc=call.rpc,
                requested=call.requested,
                known=call.model != "unknown",
                key_id=self.caller() or failure.get("api_key", ""),
                trace_id=call.trace_id,
                started=call.started,
                first_at=call.first_at,
                status=code.name,
                reason=reason,
                failure=failure,
                done=done,
                request=call.request,
                parts=_answer_parts(call, result),
            )

    def _record(self, call: _Call, code: grpc.StatusCode, done: Any) -> None:
        metrics = self.metrics
        assert metrics is not None
        now = time.perf_counter()
        provider = getattr(done, "provider", "") if done is not None else ""
        metrics.requests.labels(call.rpc, call.model, provider, code.name).inc()
        failed = code != grpc.StatusCode.OK
        key_id = self.caller() if metrics.key_label else None
        if done is not None and not failed and hasattr(done, "cost") and done.cost.total_usd:
            metrics.cost_of(call.model, key_id).inc(done.cost.total_usd)
        operation = OPERATIONS.get(call.rpc)
        if operation is None:  # media and management RPCs: no GenAI conventions series
            metrics.other_latency.labels(call.rpc, call.model).observe(now - call.started)
            return
        response_model = getattr(done, "model", "") if done is not None else ""
        key = (operation, provider, call.model, response_model, code.name if failed else "")
        series = metrics.genai.series(key, key_id)
        series.duration.observe(now - call.started)
        if done is None or failed:
            return
        output_tokens = done.usage.output_tokens
        series.input_tokens.observe(done.usage.input_tokens)
        series.output_tokens.observe(output_tokens)
        if call.first_at:
            series.time_to_first_token.observe(call.first_at - call.started)
            if output_tokens > 1:
                series.time_per_output_token.observe((now - call.first_at) / (output_tokens - 1))


def _answer_parts(call: _Call, result: Any) -> Any:
    """The answer's content parts, for an access log with content (else None)."""
    if call.request is None or result is None:
        return None
    if call.transcript is not None:
        return call.transcript.content()
    if hasattr(result, "content"):
        return result.content
    if hasattr(result, "text"):
        return [ContentPart(text=result.text)]
    return None
