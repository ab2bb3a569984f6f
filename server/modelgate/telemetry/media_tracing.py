"""The media RPCs' upstream attempts (images, transcription, speech) as CLIENT spans.

Each attempt the media router makes is one span under the call's SERVER span, as chat's
are (`tracing.InstrumentedBackend`): named "generate_content {model}" with the
deployment's GenAI attributes, `gen_ai.output.type` (image, speech or text), the attempt
number and the reason a retry or fallback happened, the response model and token usage
of a finished answer, `error.type` and ERROR status of a failed one. Its context goes
to the upstream as `traceparent`. Media calls are not on the unary hot path, so this
uses the trace API as it is; a call nobody samples gets no span and no generator layer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, TypeVar

from opentelemetry import trace
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as gen_ai
from opentelemetry.trace import Span, SpanKind

from modelgate.providers.base import CallContext, MediaBackend, Target
from modelgate.telemetry.current_span import current_span
from modelgate.telemetry.span_attributes import (
    ATTEMPT,
    ATTEMPT_REASON,
    deployment_attributes,
    record_error,
)
from modelgate.telemetry.span_context import upstream_headers
from modelgate.v1 import audio_pb2, image_pb2

E = TypeVar("E")


class TracedMedia:
    """A media backend whose every upstream attempt is a CLIENT span."""

    def __init__(self, inner: MediaBackend, tracer: trace.Tracer) -> None:
        self.inner = inner
        """The media backend whose calls are traced."""
        self._tracer = tracer

    def _start(self, operation: str, target: Target, call: CallContext) -> Span | None:
        """The attempt's span under the call's, and its `traceparent` on the call (None:
        the call is not recorded, so neither is the attempt)."""
        if not current_span().is_recording():
            return None
        deployment = deployment_attributes(target, operation)
        attributes = dict(deployment.first)  # attempt 1 and the output type
        if call.attempt > 1 or call.attempt_reason:
            attributes[ATTEMPT] = call.attempt
            if call.attempt_reason:
                attributes[ATTEMPT_REASON] = call.attempt_reason
        span = self._tracer.start_span(
            deployment.span_name, kind=SpanKind.CLIENT, attributes=attributes
        )
        headers = upstream_headers(span)
        if headers is not None:
            call.trace_headers = headers
        return span

    def generate_image(
        self, target: Target, request: image_pb2.GenerateImageRequest, call: CallContext
    ) -> AsyncIterator[image_pb2.GenerateImageResponse]:
        """Traced image generation."""
        events = self.inner.generate_image(target, request, call)
        return self._traced("generate_image", target, call, events)

    async def transcribe(
        self,
        target: Target,
        config: audio_pb2.TranscriptionConfig,
        audio: AsyncIterator[bytes],
        call: CallContext,
    ) -> audio_pb2.TranscribeResponse:
        """Traced transcription."""
        span = self._start("transcribe", target, call)
        if span is None:
            return await self.inner.transcribe(target, config, audio, call)
        try:
            answer = await self.inner.transcribe(target, config, audio, call)
        except BaseException as error:
            record_error(span, error)
            span.end()
            raise
        _record_answer(span, target, answer)
        span.end()
        return answer

    def stream_transcribe(
        self,
        target: Target,
        config: audio_pb2.TranscriptionConfig,
        audio: AsyncIterator[bytes],
        call: CallContext,
    ) -> AsyncIterator[audio_pb2.StreamTranscribeResponse]:
        """Traced streaming transcription."""
        events = self.inner.stream_transcribe(target, config, audio, call)
        return self._traced("stream_transcribe", target, call, events)

    def speak(
        self, target: Target, request: audio_pb2.SpeakRequest, call: CallContext
    ) -> AsyncIterator[audio_pb2.SpeakResponse]:
        """Traced speech."""
        return self._traced("speak", target, call, self.inner.speak(target, request, call))

    def _traced(
        self, operation: str, target: Target, call: CallContext, events: AsyncIterator[E]
    ) -> AsyncIterator[E]:
        """A media stream (not started yet, so the headers set here reach its request)
        inside its attempt's span, or as it is when the call is not recorded."""
        span = self._start(operation, target, call)
        return events if span is None else _traced_events(span, target, events)


async def _traced_events(span: Span, target: Target, events: AsyncIterator[E]) -> AsyncIterator[E]:
    """`events` as they come; the span ends with the stream (its `end` event's answer, the
    error, or the caller closing it, which closes the upstream's stream too)."""
    try:
        async for event in events:
            answer = _end_of(event)
            if answer is not None:
                _record_answer(span, target, answer)
            yield event
    except BaseException as error:
        record_error(span, error)
        raise
    finally:
        close = getattr(events, "aclose", None)
        if close is not None:
            await close()
        span.end()


def _end_of(event: Any) -> Any:
    """A media stream's last event's answer (its `end`), else None."""
    return event.end if event.WhichOneof("event") == "end" else None


def _record_answer(span: Span, target: Target, answer: Any) -> None:
    """The response model and, for token-billed models, the tokens."""
    attributes: dict[str, Any] = {gen_ai.GEN_AI_RESPONSE_MODEL: target.upstream_name}
    usage = answer.usage
    if usage.input_tokens or usage.output_tokens:
        attributes[gen_ai.GEN_AI_USAGE_INPUT_TOKENS] = usage.input_tokens
        attributes[gen_ai.GEN_AI_USAGE_OUTPUT_TOKENS] = usage.output_tokens
    span.set_attributes(attributes)
