"""The OpenAI backend's media ability: images, transcription and speech on one base URL.

OpenAI and every OpenAI-compatible runtime get the same paths (under a preset's prefix,
Azure's deployment for instance); which models serve them is the catalog's word (the
capabilities `image_generation`, `transcription`, `speech`), checked before dispatch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from modelgate.providers.base import CallContext, Target
from modelgate.providers.http import HttpUpstream
from modelgate.providers.openai import media_images, media_speech, media_transcribe
from modelgate.v1 import audio_pb2, image_pb2


class OpenAIMedia:
    """`MediaBackend` over one runtime's HttpUpstream."""

    def __init__(
        self, http: HttpUpstream, path: Callable[[Target, str], str], *, drop_unsupported: bool
    ) -> None:
        self.http = http
        self._path = path
        """`endpoint` under the runtime's prefix for `target` (OpenAIBackend._path)."""
        self.drop_unsupported = drop_unsupported
        """The runtime's `unsupported_params: drop`."""

    def generate_image(
        self, target: Target, request: image_pb2.GenerateImageRequest, call: CallContext
    ) -> AsyncIterator[image_pb2.GenerateImageResponse]:
        path = self._path(target, "/images/generations")
        return media_images.generate_image(self.http, path, target, request, call)

    async def transcribe(
        self,
        target: Target,
        config: audio_pb2.TranscriptionConfig,
        audio: AsyncIterator[bytes],
        call: CallContext,
    ) -> audio_pb2.TranscribeResponse:
        path = self._path(target, "/audio/transcriptions")
        return await media_transcribe.transcribe(self.http, target, config, audio, call, path=path)

    def stream_transcribe(
        self,
        target: Target,
        config: audio_pb2.TranscriptionConfig,
        audio: AsyncIterator[bytes],
        call: CallContext,
    ) -> AsyncIterator[audio_pb2.StreamTranscribeResponse]:
        path = self._path(target, "/audio/transcriptions")
        return media_transcribe.stream_transcribe(self.http, target, config, audio, call, path=path)

    def speak(
        self, target: Target, request: audio_pb2.SpeakRequest, call: CallContext
    ) -> AsyncIterator[audio_pb2.SpeakResponse]:
        path = self._path(target, "/audio/speech")
        return media_speech.speak(
            self.http, path, target, request, call, drop_unsupported=self.drop_unsupported
        )
