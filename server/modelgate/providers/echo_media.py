"""The echo backend's media ability: images, transcripts and speech with no provider.

Deterministic, so the zero-config gateway demonstrates every media RPC and tests are
exact:

- GenerateImage draws one solid-colour PNG per image, its colour taken from a SHA-256
  of the prompt (image i uses digest bytes 3i..3i+2). A "WxH" size up to 256x256 is
  honoured; larger sizes, "auto" and no size give a 64x64 image (small on purpose).
  A transparent background gives RGBA with alpha 0. Only PNG is drawn: JPEG or WebP
  is INVALID_ARGUMENT. Quality and style cannot change a solid colour; they still price
  the call. `revised_prompt` stays empty.
- Transcribe reads WAV (stdlib `wave`, on the header only) and says what it heard:
  "echo heard 1.50 s of audio (48044 bytes)"; anything else is INVALID_ARGUMENT as
  soon as its first bytes show it. Word and segment timings, when asked for, spread
  the transcript's words evenly over the audio. StreamTranscribe sends those words as
  deltas.
- Speak answers a WAV of silence, 16 kHz mono 16-bit, 50 ms per character of the
  text divided by `speed`, in chunks of one second of audio. Only WAV (or the default
  format) is spoken; every voice and instruction is the same silence.

Model option `token_interval_ms` waits between speech chunks and transcript deltas, and
`latency_ms` before answering, so cancel tests are slow by construction. `open_calls`
counts the calls in progress: a test sees a cancel reach the backend.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import struct
import zlib
from collections.abc import AsyncIterator
from datetime import timedelta

from modelgate.errors import invalid_argument
from modelgate.providers.base import MEDIA_CHUNK_BYTES, CallContext, Target
from modelgate.providers.wav import HEADER_PREFIX_BYTES, WavLayout, read_wav_header, wav_header
from modelgate.v1 import audio_pb2, generation_pb2, image_pb2

DEFAULT_SIDE = 64
"""Side of an echo image when the size is unset, "auto" or over MAX_SIDE."""
MAX_SIDE = 256
SPEECH_RATE = 16_000
"""Frames per second of echo speech (mono, 16-bit)."""
SECONDS_PER_CHARACTER = 0.05
SPEECH_CHUNK_BYTES = 2 * SPEECH_RATE
"""One second of echo speech per chunk."""
_SIZE = re.compile(r"^(\d+)x(\d+)$")
_WORD = re.compile(r"\S+")


def _side_pair(size: str) -> tuple[int, int]:
    match = _SIZE.match(size)
    if match is None:
        return DEFAULT_SIDE, DEFAULT_SIDE
    width, height = int(match[1]), int(match[2])
    if width > MAX_SIDE or height > MAX_SIDE:
        return DEFAULT_SIDE, DEFAULT_SIDE
    return width, height


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def solid_png(width: int, height: int, rgb: bytes, *, transparent: bool = False) -> bytes:
    """A valid PNG of one colour (RGBA with alpha 0 when `transparent`)."""
    pixel = rgb + b"\x00" if transparent else rgb
    colour_type = 6 if transparent else 2
    row = b"\x00" + pixel * width  # filter byte 0, then the pixels
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(row * height))
        + _png_chunk(b"IEND", b"")
    )


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _usage(input_tokens: int, output_tokens: int) -> generation_pb2.Usage:
    return generation_pb2.Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=input_tokens + output_tokens,
    )


class EchoMedia:
    """The `MediaBackend` of an echo runtime."""

    def __init__(self) -> None:
        self.open_calls = 0
        """Media calls in progress (tests watch a cancel close them)."""

    async def _pause(self, target: Target, option: str) -> None:
        delay = float(target.options.get(option, 0)) / 1000
        if delay > 0:
            await asyncio.sleep(delay)

    async def generate_image(
        self, target: Target, request: image_pb2.GenerateImageRequest, call: CallContext
    ) -> AsyncIterator[image_pb2.GenerateImageResponse]:
        """One solid PNG per image; see the module docstring."""
        if request.output_format not in (
            image_pb2.IMAGE_FORMAT_UNSPECIFIED,
            image_pb2.IMAGE_FORMAT_PNG,
        ):
            raise invalid_argument([("output_format", "the echo model draws PNG only")])
        await self._pause(target, "latency_ms")
        width, height = _side_pair(request.size)
        digest = hashlib.sha256(request.prompt.encode()).digest()
        transparent = request.background == image_pb2.IMAGE_BACKGROUND_TRANSPARENT
        for index in range(request.count or 1):
            png = solid_png(
                width, height, digest[3 * index : 3 * index + 3], transparent=transparent
            )
            yield image_pb2.GenerateImageResponse(
                image=image_pb2.ImageStarted(
                    index=index, mime_type="image/png", size_bytes=len(png)
                )
            )
            for start in range(0, len(png), MEDIA_CHUNK_BYTES):
                chunk = image_pb2.ImageChunk(
                    index=index, data=png[start : start + MEDIA_CHUNK_BYTES]
                )
                yield image_pb2.GenerateImageResponse(chunk=chunk)
        end = image_pb2.ImageGenerationEnd(usage=_usage(len(_words(request.prompt)), 0))
        yield image_pb2.GenerateImageResponse(end=end)

    async def _hear(self, audio: AsyncIterator[bytes]) -> tuple[WavLayout, int]:
        """The WAV layout and byte count of an upload, read chunk by chunk."""
        prefix = b""
        layout: WavLayout | None = None
        total = 0
        async for chunk in audio:
            total += len(chunk)
            if layout is None:
                prefix += chunk[: HEADER_PREFIX_BYTES - len(prefix)]
                layout = read_wav_header(prefix)
                looks_wav = prefix[:4] == b"RIFF"[: len(prefix)] and (
                    len(prefix) < 12 or prefix[8:12] == b"WAVE"
                )
                if layout is None and (not looks_wav or len(prefix) >= HEADER_PREFIX_BYTES):
                    raise _not_wav()
        if layout is None:
            raise _not_wav()
        return layout, total

    async def transcribe(
        self,
        target: Target,
        config: audio_pb2.TranscriptionConfig,
        audio: AsyncIterator[bytes],
        call: CallContext,
    ) -> audio_pb2.TranscribeResponse:
        """What the echo model heard: duration and size of the WAV audio."""
        self.open_calls += 1
        try:
            await self._pause(target, "latency_ms")
            layout, total = await self._hear(audio)
            return _transcript(config, layout.seconds(total), total)
        finally:
            self.open_calls -= 1

    async def stream_transcribe(
        self,
        target: Target,
        config: audio_pb2.TranscriptionConfig,
        audio: AsyncIterator[bytes],
        call: CallContext,
    ) -> AsyncIterator[audio_pb2.StreamTranscribeResponse]:
        """The transcript's words as deltas, then the whole transcript."""
        self.open_calls += 1
        try:
            await self._pause(target, "latency_ms")
            layout, total = await self._hear(audio)
            response = _transcript(config, layout.seconds(total), total)
            for index, word in enumerate(re.findall(r"\S+\s*", response.text)):
                if index:
                    await self._pause(target, "token_interval_ms")
                delta = audio_pb2.TranscriptDelta(text=word)
                yield audio_pb2.StreamTranscribeResponse(delta=delta)
            yield audio_pb2.StreamTranscribeResponse(end=response)
        finally:
            self.open_calls -= 1

    async def speak(
        self, target: Target, request: audio_pb2.SpeakRequest, call: CallContext
    ) -> AsyncIterator[audio_pb2.SpeakResponse]:
        """A WAV of silence whose length follows the text, one second per chunk."""
        if request.format not in (audio_pb2.AUDIO_FORMAT_UNSPECIFIED, audio_pb2.AUDIO_FORMAT_WAV):
            raise invalid_argument([("format", "the echo model speaks WAV only")])
        self.open_calls += 1
        try:
            await self._pause(target, "latency_ms")
            speed = request.speed if request.HasField("speed") else 1.0
            frames = round(len(request.text) * SECONDS_PER_CHARACTER / speed * SPEECH_RATE)
            remaining = frames * 2
            yield audio_pb2.SpeakResponse(
                started=audio_pb2.SpeechStarted(
                    format=audio_pb2.AUDIO_FORMAT_WAV, mime_type="audio/wav"
                )
            )
            first = wav_header(remaining, rate=SPEECH_RATE)
            index = 0
            while remaining or first:
                if index:
                    await self._pause(target, "token_interval_ms")
                size = min(remaining, SPEECH_CHUNK_BYTES - len(first))
                remaining -= size
                yield audio_pb2.SpeakResponse(chunk=first + bytes(size))
                first = b""
                index += 1
            usage = _usage(len(_words(request.text)), 0)
            yield audio_pb2.SpeakResponse(end=audio_pb2.SpeechEnd(usage=usage))
        finally:
            self.open_calls -= 1


def _not_wav() -> Exception:
    return invalid_argument([("audio_chunk", "the echo model reads WAV audio only")])


def _transcript(
    config: audio_pb2.TranscriptionConfig, seconds: float, total: int
) -> audio_pb2.TranscribeResponse:
    text = f"echo heard {seconds:.2f} s of audio ({total} bytes)"
    response = audio_pb2.TranscribeResponse(
        text=text, language=config.language, usage=_usage(0, len(_words(text)))
    )
    response.duration.FromTimedelta(timedelta(seconds=seconds))
    granularities = set(config.timestamp_granularities)
    words = _words(text)
    step = seconds / len(words)
    if audio_pb2.TIMESTAMP_GRANULARITY_WORD in granularities:
        for i, word in enumerate(words):
            timed = response.words.add(word=word)
            timed.start.FromTimedelta(timedelta(seconds=i * step))
            timed.end.FromTimedelta(timedelta(seconds=(i + 1) * step))
    if audio_pb2.TIMESTAMP_GRANULARITY_SEGMENT in granularities:
        segment = response.segments.add(index=0, text=text)
        segment.end.FromTimedelta(timedelta(seconds=seconds))
    return response
