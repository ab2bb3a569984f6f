"""OpenAI text-to-speech (`POST /v1/audio/speech`) as Speak events.

The body follows the openai SDK's `types/audio/speech_create_params.py` (`model`,
`input`, `voice`, `response_format`, `speed`, `instructions`); the answer is the audio
itself, sent chunked as it is synthesized, relayed in pieces of at most
MEDIA_CHUNK_BYTES as they arrive, never gathered. A body cut off before its end is
UNAVAILABLE (the caller may already hold part of the audio, so it is never retried then).

OpenAI needs a voice; an empty `voice` gets DEFAULT_VOICE. The API takes no end-user id:
a request with `user` is refused INVALID_ARGUMENT on that field, or sent without it and
named in `metadata["dropped_params"]` when the runtime says `unsupported_params: drop`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from modelgate.errors import invalid_argument, upstream_invalid_response
from modelgate.providers.base import MEDIA_CHUNK_BYTES, CallContext, Target
from modelgate.providers.http import HttpUpstream
from modelgate.providers.params import DROPPED_PARAMS_KEY
from modelgate.v1 import audio_pb2

DEFAULT_VOICE = "alloy"
"""The voice sent when the caller names none (OpenAI requires one)."""
FORMATS: dict[int, tuple[str, str]] = {
    audio_pb2.AUDIO_FORMAT_MP3: ("mp3", "audio/mpeg"),
    audio_pb2.AUDIO_FORMAT_OPUS: ("opus", "audio/ogg; codecs=opus"),
    audio_pb2.AUDIO_FORMAT_AAC: ("aac", "audio/aac"),
    audio_pb2.AUDIO_FORMAT_FLAC: ("flac", "audio/flac"),
    audio_pb2.AUDIO_FORMAT_WAV: ("wav", "audio/wav"),
    audio_pb2.AUDIO_FORMAT_PCM: ("pcm", "audio/pcm"),
}
"""Our formats -> (OpenAI's `response_format`, the media type we announce)."""
DEFAULT_FORMAT = audio_pb2.AUDIO_FORMAT_MP3
"""OpenAI's default `response_format`."""

Event = audio_pb2.SpeakResponse


def speech_body(
    target: Target, request: audio_pb2.SpeakRequest, *, drop_unsupported: bool
) -> tuple[dict[str, Any], list[str]]:
    """The JSON body and the names of fields sent without (`unsupported_params: drop`)."""
    dropped: list[str] = []
    if request.user:
        if not drop_unsupported:
            raise invalid_argument([("user", "the OpenAI speech API takes no end-user id")])
        dropped.append("user")
    body: dict[str, Any] = {
        "model": target.upstream_name,
        "input": request.text,
        "voice": request.voice or DEFAULT_VOICE,
    }
    if request.format:
        body["response_format"] = FORMATS[request.format][0]
    if request.HasField("speed"):
        body["speed"] = request.speed
    if request.instructions:
        body["instructions"] = request.instructions
    return body, dropped


async def speak(
    http: HttpUpstream,
    path: str,
    target: Target,
    request: audio_pb2.SpeakRequest,
    call: CallContext,
    *,
    drop_unsupported: bool,
) -> AsyncIterator[audio_pb2.SpeakResponse]:
    """`started`, the audio as it arrives, then `end` with its size."""
    provider = http.provider
    body, dropped = speech_body(target, request, drop_unsupported=drop_unsupported)
    audio_format = request.format or DEFAULT_FORMAT
    sent = 0
    async with http.stream(path, body, call) as response:
        kind = response.content_type
        if not kind.startswith("audio/") and kind != "application/octet-stream":
            raise upstream_invalid_response(provider, f"answered {kind} to a speech request")
        yield Event(
            started=audio_pb2.SpeechStarted(format=audio_format, mime_type=FORMATS[audio_format][1])
        )
        async for piece in response.content.iter_chunked(MEDIA_CHUNK_BYTES):
            sent += len(piece)
            yield Event(chunk=piece)
    if not sent:
        raise upstream_invalid_response(provider, "answered a speech request without audio")
    end = audio_pb2.SpeechEnd(audio_size_bytes=sent)
    if dropped:
        end.metadata[DROPPED_PARAMS_KEY] = ",".join(dropped)
    yield Event(end=end)
