"""The media ability of a backend: images, transcription and speech.

Declared like the other optional abilities (`BackendAbilities.media`): a backend
that serves media returns an object with these methods, others answer None. Every
method speaks the proto and streams where the payload can be large, so no answer
or upload is held whole in the gateway: image bytes and speech audio go out as
chunks as they arrive, and an upload is an async iterator of the caller's chunks.

What only the upstream knows is in the events a backend yields (image bytes,
revised prompts, transcript text, timings, audio, usage); the media layer stamps
the rest once for every backend (id, model, provider, runtime, cost, latency).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Protocol

from modelgate.v1 import audio_pb2, image_pb2

if TYPE_CHECKING:
    from modelgate.providers.base import CallContext, Target

MEDIA_CHUNK_BYTES = 1 << 20
"""Largest `bytes` piece in one streamed media message (1 MiB), well under gRPC's
default 4 MiB message cap."""


class MediaBackend(Protocol):
    """Image generation, transcription and speech of one runtime."""

    def generate_image(
        self, target: Target, request: image_pb2.GenerateImageRequest, call: CallContext
    ) -> AsyncIterator[image_pb2.GenerateImageResponse]:
        """For each image: an `image` event, then its bytes as `chunk`s of at most
        MEDIA_CHUNK_BYTES; last an `end` with the usage (other end fields are stamped)."""
        ...

    async def transcribe(
        self,
        target: Target,
        config: audio_pb2.TranscriptionConfig,
        audio: AsyncIterator[bytes],
        call: CallContext,
    ) -> audio_pb2.TranscribeResponse:
        """The transcript of `audio`, read chunk by chunk and relayed as it is read."""
        ...

    def stream_transcribe(
        self,
        target: Target,
        config: audio_pb2.TranscriptionConfig,
        audio: AsyncIterator[bytes],
        call: CallContext,
    ) -> AsyncIterator[audio_pb2.StreamTranscribeResponse]:
        """Transcript `delta`s as the model produces them, then the whole transcript
        as `end`."""
        ...

    def speak(
        self, target: Target, request: audio_pb2.SpeakRequest, call: CallContext
    ) -> AsyncIterator[audio_pb2.SpeakResponse]:
        """`started`, then audio `chunk`s of at most MEDIA_CHUNK_BYTES as the upstream
        sends them, then `end` with the usage."""
        ...
