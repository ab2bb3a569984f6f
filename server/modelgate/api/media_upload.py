"""Reading a Transcribe upload: the config first, then the audio, with the caps enforced
while it streams.

The backend gets the audio as an async iterator of the caller's chunks, read only as
it asks for them, so the gateway holds one chunk at a time (plus the first bytes of a
WAV file, to read its header). The caps end the call the moment they are passed:
`limits.media_max_upload_bytes` on the bytes received so far, and
`limits.media_max_audio_seconds` on the duration those bytes hold when the format tells
it (WAV). An upload that announced its size (`config.audio_size_bytes`) and ends short
or runs long is INVALID_ARGUMENT, so a truncated file is never transcribed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from modelgate.api.decoding import ensure_decoded
from modelgate.api.media_checks import validate_transcription
from modelgate.config import LimitsConfig
from modelgate.errors import GatewayError, invalid_argument, media_too_large
from modelgate.providers.wav import HEADER_PREFIX_BYTES, WavLayout, read_wav_header
from modelgate.v1 import audio_pb2


class Upload:
    """One caller's upload, read on demand."""

    def __init__(self, requests: AsyncIterator[Any], limits: LimitsConfig) -> None:
        self._requests = aiter(requests)
        self.limits = limits
        self.config = audio_pb2.TranscriptionConfig()
        self.received = 0
        """Audio bytes read so far."""
        self.started = False
        """Whether a backend began reading the audio (after that, no attempt can retry)."""
        self.failure: GatewayError | None = None
        """The error the upload itself raised (a cap, a bad message), not the upstream's."""
        self._prefix = b""
        self._layout: WavLayout | None = None

    def seconds(self) -> float | None:
        """The audio's duration so far when its header told it (WAV), else None."""
        return None if self._layout is None else self._layout.seconds(self.received)

    async def read_config(self) -> audio_pb2.TranscriptionConfig:
        """The first message's config, validated; INVALID_ARGUMENT when it is not one."""
        first = await anext(self._requests, None)
        if first is None:
            raise invalid_argument([("payload", "the upload is empty: send `config` first")])
        ensure_decoded(first)
        if first.WhichOneof("payload") != "config":
            raise invalid_argument([("payload", "the first message must be `config`")])
        validate_transcription(first.config, self.limits)
        self.config = first.config
        return self.config

    async def audio(self) -> AsyncIterator[bytes]:
        """The audio chunks, in order, checked against the caps as they arrive."""
        self.started = True
        try:
            async for chunk in self._chunks():
                yield chunk
        except GatewayError as error:
            self.failure = error
            raise

    async def _chunks(self) -> AsyncIterator[bytes]:
        async for message in self._requests:
            ensure_decoded(message)
            if message.WhichOneof("payload") != "audio_chunk":
                raise invalid_argument(
                    [("payload", "only the first message is `config`; then `audio_chunk`s")]
                )
            chunk: bytes = message.audio_chunk
            self.received += len(chunk)
            self._check(chunk)
            if chunk:
                yield chunk
        announced = self.config.audio_size_bytes
        if announced and self.received != announced:
            raise invalid_argument(
                [
                    (
                        "config.audio_size_bytes",
                        f"announced {announced} bytes, the upload had {self.received}",
                    )
                ]
            )

    def _check(self, chunk: bytes) -> None:
        limits = self.limits
        announced = self.config.audio_size_bytes
        if self.received > limits.media_max_upload_bytes:
            raise media_too_large("media_max_upload_bytes", limits.media_max_upload_bytes, "bytes")
        if announced and self.received > announced:
            raise invalid_argument(
                [("config.audio_size_bytes", f"announced {announced} bytes, the upload ran long")]
            )
        if self._layout is None and len(self._prefix) < HEADER_PREFIX_BYTES:
            self._prefix += chunk[: HEADER_PREFIX_BYTES - len(self._prefix)]
            self._layout = read_wav_header(self._prefix)
            if self._layout is not None:
                self._prefix = b""
        layout = self._layout
        if layout is not None and layout.seconds(self.received) > limits.media_max_audio_seconds:
            raise media_too_large(
                "media_max_audio_seconds", limits.media_max_audio_seconds, "seconds"
            )
