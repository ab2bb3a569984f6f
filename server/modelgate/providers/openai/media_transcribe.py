"""OpenAI speech-to-text (`POST /v1/audio/transcriptions`) as Transcribe and StreamTranscribe.

The request is multipart/form-data whose `file` part is the caller's audio iterator
itself: aiohttp writes each chunk as it arrives (chunked transfer, no Content-Length),
so the gateway never holds the upload. The form's fields follow the openai SDK's
`types/audio/transcription_create_params.py`: `response_format` is `verbose_json`
when timings are asked for (whisper-1 gives segments and words only there) and `json`
otherwise; `timestamp_granularities[]` repeats per value; `stream=true` for
StreamTranscribe (gpt-4o-transcribe and gpt-4o-mini-transcribe; whisper-1 refuses it).

Answers: `Transcription` (`text`, `usage` of type `tokens` or `duration`) or
`TranscriptionVerbose` (`language`, `duration`, `segments`, `words`). The stream is SSE
whose data objects carry `type`: `transcript.text.delta` (`delta`) until
`transcript.text.done` (`text`, `usage`), which is the terminator; an `error` object
fails the call as any OpenAI stream, and a stream without `done` was cut short.
"""

from __future__ import annotations

import contextlib
import mimetypes
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
from google.protobuf import duration_pb2

from modelgate.errors import upstream_invalid_response, upstream_unavailable
from modelgate.providers.base import CallContext, Target
from modelgate.providers.http import HttpUpstream, read_answer, sse_events
from modelgate.providers.upstream_errors import classify
from modelgate.providers.upstream_json import count, obj, objects, parse_object, text
from modelgate.v1 import audio_pb2

GRANULARITIES = {
    audio_pb2.TIMESTAMP_GRANULARITY_WORD: "word",
    audio_pb2.TIMESTAMP_GRANULARITY_SEGMENT: "segment",
}
DELTA = "transcript.text.delta"
DONE = "transcript.text.done"


class Upload:
    """The caller's audio as the form's file part, counted as it passes.

    aiohttp reports a failure of the body's iterator as a broken connection; the
    failure is kept here so the caller gets its own error (a short upload's
    INVALID_ARGUMENT) rather than UNAVAILABLE.
    """

    def __init__(self, audio: AsyncIterator[bytes]) -> None:
        self.audio = audio
        self.sent = 0
        self.failure: Exception | None = None

    async def chunks(self) -> AsyncIterator[bytes]:
        """The caller's chunks, unchanged and unbuffered."""
        try:
            async for chunk in self.audio:
                self.sent += len(chunk)
                yield chunk
        except Exception as exc:
            self.failure = exc
            raise

    @contextlib.contextmanager
    def failures(self) -> Iterator[None]:
        """Around the request: the caller's own failure wins over what aiohttp made of it."""
        try:
            yield
        except Exception:
            if self.failure is not None:
                raise self.failure from None
            raise


def transcription_form(
    target: Target, config: audio_pb2.TranscriptionConfig, upload: Upload, *, stream: bool
) -> aiohttp.MultipartWriter:
    """The multipart body: the streamed file part, then every field the caller set."""
    form = aiohttp.MultipartWriter("form-data")
    mime = config.mime_type or mimetypes.guess_type(config.filename)[0]
    part = form.append(upload.chunks(), {"Content-Type": mime or "application/octet-stream"})
    part.set_content_disposition("form-data", name="file", filename=config.filename)
    fields: list[tuple[str, str]] = [("model", target.upstream_name)]
    if config.language:
        fields.append(("language", config.language))
    if config.prompt:
        fields.append(("prompt", config.prompt))
    if config.HasField("temperature"):
        fields.append(("temperature", f"{config.temperature:g}"))
    granularities = [GRANULARITIES[g] for g in config.timestamp_granularities if g in GRANULARITIES]
    fields.append(("response_format", "verbose_json" if granularities else "json"))
    fields += [("timestamp_granularities[]", value) for value in granularities]
    if stream:
        fields.append(("stream", "true"))
    for name, value in fields:
        form.append(value, {"Content-Type": "text/plain; charset=utf-8"}).set_content_disposition(
            "form-data", name=name
        )
    return form


async def transcribe(
    http: HttpUpstream,
    target: Target,
    config: audio_pb2.TranscriptionConfig,
    audio: AsyncIterator[bytes],
    call: CallContext,
    *,
    path: str,
) -> audio_pb2.TranscribeResponse:
    """The transcript, the audio relayed chunk by chunk while it is read."""
    upload = Upload(audio)
    form = transcription_form(target, config, upload, stream=False)
    with upload.failures():
        async with http.stream(path, None, call, form=form) as response:
            raw = await read_answer(response, call.max_answer_bytes)
    response_message = transcript(http.provider, parse_object(http.provider, raw, "its answer"))
    response_message.audio_size_bytes = upload.sent
    return response_message


async def stream_transcribe(
    http: HttpUpstream,
    target: Target,
    config: audio_pb2.TranscriptionConfig,
    audio: AsyncIterator[bytes],
    call: CallContext,
    *,
    path: str,
) -> AsyncIterator[audio_pb2.StreamTranscribeResponse]:
    """`delta`s as the upstream sends them, then the whole transcript as `end`."""
    provider = http.provider
    upload = Upload(audio)
    form = transcription_form(target, config, upload, stream=True)
    Event = audio_pb2.StreamTranscribeResponse
    final: audio_pb2.TranscribeResponse | None = None
    with upload.failures():
        async with http.stream(path, None, call, form=form) as response:
            async for _event, data in sse_events(response, call.max_line_bytes):
                if data == b"[DONE]":  # not sent by OpenAI; some compatible servers add it
                    break
                chunk = parse_object(provider, data, "a stream event")
                if chunk.get("error") is not None:
                    raise classify(provider, None, chunk, response.headers)
                kind = text(provider, chunk.get("type"), "type")
                if kind == DELTA:
                    delta = text(provider, chunk.get("delta"), "delta")
                    if delta:
                        yield Event(delta=audio_pb2.TranscriptDelta(text=delta))
                elif kind == DONE:
                    final = transcript(provider, chunk)
                    break
    if final is None:
        raise upstream_unavailable(provider, f"stream ended without {DONE}")
    final.audio_size_bytes = upload.sent
    yield Event(end=final)


def transcript(provider: str, answer: dict[str, Any]) -> audio_pb2.TranscribeResponse:
    """A `Transcription`, `TranscriptionVerbose` or `transcript.text.done` as ours."""
    response = audio_pb2.TranscribeResponse(
        text=text(provider, answer.get("text"), "text"),
        language=text(provider, answer.get("language"), "language"),
    )
    if answer.get("duration") is not None:
        response.duration.CopyFrom(_duration(provider, answer.get("duration"), "duration"))
    for index, raw in enumerate(objects(provider, answer.get("segments"), "segments")):
        response.segments.add(
            index=index,
            start=_duration(provider, raw.get("start"), "segments[].start"),
            end=_duration(provider, raw.get("end"), "segments[].end"),
            text=text(provider, raw.get("text"), "segments[].text"),
        )
    for raw in objects(provider, answer.get("words"), "words"):
        response.words.add(
            word=text(provider, raw.get("word"), "words[].word"),
            start=_duration(provider, raw.get("start"), "words[].start"),
            end=_duration(provider, raw.get("end"), "words[].end"),
        )
    usage = obj(provider, answer.get("usage"), "usage")
    if usage.get("type") == "tokens":
        response.usage.input_tokens = count(provider, usage.get("input_tokens"), "input_tokens")
        response.usage.output_tokens = count(provider, usage.get("output_tokens"), "output_tokens")
        total = usage.get("total_tokens") or (
            response.usage.input_tokens + response.usage.output_tokens
        )
        response.usage.total_tokens = count(provider, total, "usage.total_tokens")
    elif usage.get("type") == "duration" and not response.HasField("duration"):
        response.duration.CopyFrom(_duration(provider, usage.get("seconds"), "usage.seconds"))
    return response


def _duration(provider: str, value: Any, where: str) -> duration_pb2.Duration:
    """Seconds (a JSON number) as a Duration; anything else breaks the API."""
    if value is None:
        return duration_pb2.Duration()
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1e9:
        duration = duration_pb2.Duration()
        duration.FromNanoseconds(round(value * 1e9))
        return duration
    raise upstream_invalid_response(provider, f"sent {where} = {value!r}, not seconds")
