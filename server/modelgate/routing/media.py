"""Images, transcription and speech: resolve, attempt, stamp, count.

The media RPCs take the same routing as chat (aliases, fallbacks, breakers, the one
attempts loop of `routing.attempts`), but none of the chat layers (templates,
continuity, cache, structured output) apply to them, so they have this path of their
own beside the pipeline. Its one job: pick a deployment whose model has the capability
(UNIMPLEMENTED naming the models that do; NOT_FOUND for an unknown model), call its
backend's `media()` ability, stamp the facts every answer carries once (id, model,
provider, runtime, latency, cost with `media_usd`) and add the usage to the totals.

Retries and fallbacks happen only before anything reached the caller, and for uploads
only before the backend began reading the audio: a streamed upload is read once, as it
arrives, and never held whole, so it cannot be replayed to another attempt. A failure
after that ends the call with its status. A caller who leaves closes the backend's
stream (`aclose`), and with it the upstream request.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any, Protocol, TypeAlias, TypeVar

from modelgate.errors import GatewayError, not_supported
from modelgate.providers.base import CallContext, MediaBackend
from modelgate.routing.attempts import Attempts
from modelgate.routing.catalog import Deployment
from modelgate.routing.cost import fill_media_cost, image_usd, speech_usd, transcription_usd
from modelgate.routing.layers import Plan, Stream
from modelgate.routing.memory import Memory
from modelgate.routing.router import Router
from modelgate.routing.stamps import new_response_id, stamp_answer
from modelgate.v1 import audio_pb2, image_pb2, model_pb2

T = TypeVar("T")
Capability: TypeAlias = model_pb2.Capability.ValueType
_OPERATIONS = {
    model_pb2.CAPABILITY_IMAGE_GENERATION: "GenerateImage",
    model_pb2.CAPABILITY_TRANSCRIPTION: "Transcribe",
    model_pb2.CAPABILITY_SPEECH: "Speak",
}


class AudioUpload(Protocol):
    """A caller's audio upload as the media path reads it (api/media_upload.py `Upload`)."""

    config: audio_pb2.TranscriptionConfig
    started: bool
    """Whether a backend began reading the audio: no attempt may follow."""
    received: int
    failure: GatewayError | None
    """The error the upload itself raised (a cap, a bad message), if any."""

    def audio(self) -> AsyncIterator[bytes]:
        """The audio chunks, read as they are asked for."""
        ...

    def seconds(self) -> float | None:
        """The audio's duration when its header told it (WAV), else None."""
        ...


def _media(deployment: Deployment, capability: Capability) -> MediaBackend:
    """The deployment's media ability; a catalog entry claiming a capability its backend
    lacks is a configuration mistake, answered UNIMPLEMENTED."""
    media = deployment.backend.media()
    if media is None:
        raise not_supported(deployment.record.id, _OPERATIONS[capability], [])
    return media


async def _close(events: AsyncIterator[Any]) -> None:
    close = getattr(events, "aclose", None)
    if close is not None and inspect.iscoroutinefunction(close):
        await close()


class MediaRouter:
    """The media RPCs over one catalog, counting usage into `memory` when there is one."""

    def __init__(self, router: Router, memory: Memory | None) -> None:
        self.router = router
        self.memory = memory

    def _attempts(self, plan: Plan, call: CallContext, *, streaming: bool) -> Attempts:
        return Attempts(
            plan, self.router.catalog.stats, self.router.config, call, streaming=streaming
        )

    async def _finish(
        self,
        answer: Any,
        deployment: Deployment,
        started: float,
        attempts: Attempts,
        media_usd: float,
    ) -> None:
        """Stamp an answer (or an end event) once and add it to the totals."""
        stamp_answer(answer, deployment, started, attempts.count, attempts.call.response_id)
        fill_media_cost(deployment.record.pricing, answer.usage, answer.cost, media_usd)
        if self.memory is not None:
            await self.memory.count(
                answer.model, answer.usage, answer.cost.total_usd, attempts.call.caller
            )

    async def _stream(
        self,
        plan: Plan,
        call: CallContext,
        open_stream: Callable[[Deployment], AsyncIterator[T]],
        on_event: Callable[[Deployment, Attempts, Any], Awaitable[None]],
        *,
        replayable: Callable[[], bool] = lambda: True,
        own_failure: Callable[[], GatewayError | None] = lambda: None,
    ) -> Stream[T]:
        """The events of the first attempt that produced one; retried or fallen back only
        while nothing was delivered and the input can be replayed. `own_failure` is an
        error of the input itself (an upload over its cap): no verdict on the upstream."""
        attempts = self._attempts(plan, call, streaming=True)
        while True:
            deployment = attempts.next()
            events = open_stream(deployment)
            delivered = False
            try:
                async for event in events:
                    if not delivered:
                        delivered = True
                        attempts.succeeded()
                    await on_event(deployment, attempts, event)
                    yield event
                if not delivered:
                    attempts.succeeded()
                return
            except GatewayError as error:
                if error is own_failure():
                    if not delivered:
                        attempts.ended_without_verdict()
                    raise
                if delivered:
                    raise  # output reached the caller: never retried
                if not replayable():
                    raise attempts.failed_without_retry(error) from None
                await attempts.failed(error)
            except BaseException:
                if not delivered:
                    attempts.ended_without_verdict()
                raise
            finally:
                await _close(events)

    def generate_image(
        self, request: image_pb2.GenerateImageRequest, call: CallContext
    ) -> Stream[image_pb2.GenerateImageResponse]:
        """Image headers and chunks, then the stamped end (`image_count`; cost per image
        by size and quality, or by tokens)."""
        started = time.perf_counter()
        call.response_id = new_response_id()
        capability = model_pb2.CAPABILITY_IMAGE_GENERATION
        plan = self.router.plan(request.model, capability)
        images = 0

        async def on_event(deployment: Deployment, attempts: Attempts, event: Any) -> None:
            nonlocal images
            kind = event.WhichOneof("event")
            if kind == "image":
                images += 1
            elif kind == "end":
                event.end.image_count = images
                pricing = deployment.record.pricing
                usd = image_usd(pricing, request.size, request.quality, images)
                await self._finish(event.end, deployment, started, attempts, usd)

        return self._stream(
            plan,
            call,
            lambda d: _media(d, capability).generate_image(d.target, request, call),
            on_event,
        )

    def speak(
        self, request: audio_pb2.SpeakRequest, call: CallContext
    ) -> Stream[audio_pb2.SpeakResponse]:
        """`started`, audio chunks as the upstream sends them, then the stamped end
        (`audio_size_bytes`; cost per character or by tokens)."""
        started = time.perf_counter()
        call.response_id = new_response_id()
        capability = model_pb2.CAPABILITY_SPEECH
        plan = self.router.plan(request.model, capability)
        sent = 0

        async def on_event(deployment: Deployment, attempts: Attempts, event: Any) -> None:
            nonlocal sent
            kind = event.WhichOneof("event")
            if kind == "chunk":
                sent += len(event.chunk)
            elif kind == "end":
                event.end.audio_size_bytes = sent
                usd = speech_usd(deployment.record.pricing, len(request.text))
                await self._finish(event.end, deployment, started, attempts, usd)

        return self._stream(
            plan, call, lambda d: _media(d, capability).speak(d.target, request, call), on_event
        )

    async def transcribe(
        self, upload: AudioUpload, call: CallContext
    ) -> audio_pb2.TranscribeResponse:
        """The stamped transcript of the upload (cost per audio minute or by tokens)."""
        started = time.perf_counter()
        call.response_id = new_response_id()
        capability = model_pb2.CAPABILITY_TRANSCRIPTION
        plan = self.router.plan(upload.config.model, capability)
        attempts = self._attempts(plan, call, streaming=False)
        while True:
            deployment = attempts.next()
            try:
                media = _media(deployment, capability)
                response = await media.transcribe(
                    deployment.target, upload.config, upload.audio(), call
                )
            except GatewayError as error:
                if error is upload.failure:
                    attempts.ended_without_verdict()  # the caller's upload, not the upstream
                    raise
                if upload.started:
                    raise attempts.failed_without_retry(error) from None
                await attempts.failed(error)
                continue
            except BaseException:
                attempts.ended_without_verdict()
                raise
            attempts.succeeded()
            await self._finish_transcript(response, upload, deployment, started, attempts)
            return response

    def stream_transcribe(
        self, upload: AudioUpload, call: CallContext
    ) -> Stream[audio_pb2.StreamTranscribeResponse]:
        """Transcript deltas as the model produces them, then the stamped transcript."""
        started = time.perf_counter()
        call.response_id = new_response_id()
        capability = model_pb2.CAPABILITY_TRANSCRIPTION
        plan = self.router.plan(upload.config.model, capability)

        async def on_event(deployment: Deployment, attempts: Attempts, event: Any) -> None:
            if event.WhichOneof("event") == "end":
                await self._finish_transcript(event.end, upload, deployment, started, attempts)

        return self._stream(
            plan,
            call,
            lambda d: _media(d, capability).stream_transcribe(
                d.target, upload.config, upload.audio(), call
            ),
            on_event,
            replayable=lambda: not upload.started,
            own_failure=lambda: upload.failure,
        )

    async def _finish_transcript(
        self,
        response: audio_pb2.TranscribeResponse,
        upload: AudioUpload,
        deployment: Deployment,
        started: float,
        attempts: Attempts,
    ) -> None:
        """The received size; the duration the model reported, else the WAV header's
        (per-minute pricing needs one of them)."""
        response.audio_size_bytes = upload.received
        seconds: float | None = response.duration.ToTimedelta().total_seconds()
        if not seconds:
            seconds = upload.seconds()
            if seconds is not None:
                response.duration.FromTimedelta(timedelta(seconds=seconds))
        usd = transcription_usd(deployment.record.pricing, seconds or 0.0)
        await self._finish(response, deployment, started, attempts, usd)
