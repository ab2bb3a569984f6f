"""Images, transcription and speech: GenerateImage, Transcribe, StreamTranscribe, Speak.

Uploads go in 1 MiB messages read as they are sent (a path is read chunk by chunk,
never whole); speech comes back as the stream of events the gateway relays.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, AsyncIterator, Mapping, Sequence
from typing import BinaryIO, TypeAlias, TypeVar

import grpc

from modelgate.client._async.base import AsyncClientBase
from modelgate.client._async.streams import AsyncResponseStream
from modelgate.client._common import MetadataLike
from modelgate.client.errors import from_rpc_error
from modelgate.client.media import (
    UPLOAD_CHUNK_BYTES,
    GeneratedImage,
    ImageResult,
    file_chunks,
    file_name_of,
    open_for_writing,
    size_of,
)
from modelgate.v1 import audio_pb2, image_pb2

AsyncAudio: TypeAlias = str | os.PathLike[str] | bytes | AsyncIterable[bytes]
"""Audio to upload: a file path, the bytes, or an async iterable of byte chunks."""


async def _audio_chunks(audio: AsyncAudio) -> AsyncIterator[bytes]:
    if isinstance(audio, bytes):
        for start in range(0, len(audio), UPLOAD_CHUNK_BYTES):
            yield audio[start : start + UPLOAD_CHUNK_BYTES]
    elif isinstance(audio, str | os.PathLike):
        for chunk in file_chunks(audio):
            yield chunk
    else:
        async for piece in audio:
            for start in range(0, len(piece), UPLOAD_CHUNK_BYTES):
                yield piece[start : start + UPLOAD_CHUNK_BYTES]


Upload = TypeVar("Upload", audio_pb2.TranscribeRequest, audio_pb2.StreamTranscribeRequest)


async def _upload(
    kind: type[Upload], config: audio_pb2.TranscriptionConfig, audio: AsyncAudio
) -> AsyncIterator[Upload]:
    yield kind(config=config)
    async for chunk in _audio_chunks(audio):
        yield kind(audio_chunk=chunk)


def _config(
    audio: AsyncAudio,
    *,
    model: str,
    filename: str | None,
    mime_type: str,
    language: str,
    prompt: str,
    temperature: float | None,
    timestamp_granularities: Sequence[audio_pb2.TimestampGranularity.ValueType],
    audio_size_bytes: int | None,
    tags: Mapping[str, str] | None,
) -> audio_pb2.TranscriptionConfig:
    config = audio_pb2.TranscriptionConfig(
        model=model,
        filename=file_name_of(audio, filename),
        mime_type=mime_type,
        language=language,
        prompt=prompt,
        timestamp_granularities=timestamp_granularities,
        audio_size_bytes=size_of(audio) if audio_size_bytes is None else audio_size_bytes,
        metadata=tags or {},
    )
    if temperature is not None:
        config.temperature = temperature
    return config


async def _write_speech(
    stream: AsyncResponseStream[audio_pb2.SpeakResponse], file: BinaryIO
) -> audio_pb2.SpeechEnd:
    end = audio_pb2.SpeechEnd()
    async with stream:
        async for event in stream:
            if event.WhichOneof("event") == "chunk":
                file.write(event.chunk)
            elif event.WhichOneof("event") == "end":
                end = event.end
    return end


class AsyncMediaMethods(AsyncClientBase):
    """GenerateImage, Transcribe, StreamTranscribe and Speak."""

    async def generate_image(
        self,
        prompt: str,
        *,
        model: str,
        count: int = 0,
        size: str = "",
        quality: str = "",
        style: str = "",
        output_format: image_pb2.ImageFormat.ValueType = image_pb2.IMAGE_FORMAT_UNSPECIFIED,
        output_compression: int = 0,
        background: image_pb2.ImageBackground.ValueType = image_pb2.IMAGE_BACKGROUND_UNSPECIFIED,
        user: str = "",
        tags: Mapping[str, str] | None = None,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> ImageResult:
        """Generate images; their streamed chunks are joined (`ImageResult.save` writes them)."""
        request = image_pb2.GenerateImageRequest(
            model=model,
            prompt=prompt,
            count=count,
            size=size,
            quality=quality,
            style=style,
            output_format=output_format,
            output_compression=output_compression,
            background=background,
            user=user,
            metadata=tags or {},
        )
        result = ImageResult()
        parts: list[list[bytes]] = []
        stream = self._stream("GenerateImage", self._stub.GenerateImage, request, timeout, metadata)
        async with stream:
            async for event in stream:
                kind = event.WhichOneof("event")
                if kind == "image":
                    started = event.image
                    image = GeneratedImage(started.index, started.mime_type, started.revised_prompt)
                    result.images.append(image)
                    parts.append([])
                elif kind == "chunk":
                    parts[-1].append(event.chunk.data)
                elif kind == "end":
                    result.end = event.end
        for image, pieces in zip(result.images, parts, strict=True):
            image.data = b"".join(pieces)
        return result

    async def transcribe(
        self,
        audio: AsyncAudio,
        *,
        model: str,
        filename: str | None = None,
        mime_type: str = "",
        language: str = "",
        prompt: str = "",
        temperature: float | None = None,
        timestamp_granularities: Sequence[audio_pb2.TimestampGranularity.ValueType] = (),
        audio_size_bytes: int | None = None,
        tags: Mapping[str, str] | None = None,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> audio_pb2.TranscribeResponse:
        """The transcript of `audio` (a path, bytes or async chunks), uploaded in 1 MiB
        messages; the size is announced for bytes and files (`audio_size_bytes` None)."""
        config = _config(
            audio,
            model=model,
            filename=filename,
            mime_type=mime_type,
            language=language,
            prompt=prompt,
            temperature=temperature,
            timestamp_granularities=timestamp_granularities,
            audio_size_bytes=audio_size_bytes,
            tags=tags,
        )
        deadline, md = self._call_args("Transcribe", timeout, metadata)
        try:
            return await self._stub.Transcribe(
                _upload(audio_pb2.TranscribeRequest, config, audio), timeout=deadline, metadata=md
            )
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from exc

    def stream_transcribe(
        self,
        audio: AsyncAudio,
        *,
        model: str,
        filename: str | None = None,
        mime_type: str = "",
        language: str = "",
        prompt: str = "",
        temperature: float | None = None,
        timestamp_granularities: Sequence[audio_pb2.TimestampGranularity.ValueType] = (),
        audio_size_bytes: int | None = None,
        tags: Mapping[str, str] | None = None,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> AsyncResponseStream[audio_pb2.StreamTranscribeResponse]:
        """As `transcribe`, the text streamed as `delta` events, then the whole `end`."""
        config = _config(
            audio,
            model=model,
            filename=filename,
            mime_type=mime_type,
            language=language,
            prompt=prompt,
            temperature=temperature,
            timestamp_granularities=timestamp_granularities,
            audio_size_bytes=audio_size_bytes,
            tags=tags,
        )
        deadline, md = self._call_args("StreamTranscribe", timeout, metadata)
        requests = _upload(audio_pb2.StreamTranscribeRequest, config, audio)
        call = self._stub.StreamTranscribe(requests, timeout=deadline, metadata=md)
        return AsyncResponseStream(call)

    def speak(
        self,
        text: str,
        *,
        model: str,
        voice: str = "",
        format: audio_pb2.AudioFormat.ValueType = audio_pb2.AUDIO_FORMAT_UNSPECIFIED,
        speed: float | None = None,
        instructions: str = "",
        user: str = "",
        tags: Mapping[str, str] | None = None,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> AsyncResponseStream[audio_pb2.SpeakResponse]:
        """Speech events: `started`, audio `chunk`s as they come, then `end`."""
        request = audio_pb2.SpeakRequest(
            model=model,
            text=text,
            voice=voice,
            format=format,
            instructions=instructions,
            user=user,
            metadata=tags or {},
        )
        if speed is not None:
            request.speed = speed
        return self._stream("Speak", self._stub.Speak, request, timeout, metadata)

    async def speak_to_file(
        self,
        text: str,
        path: str | os.PathLike[str],
        *,
        model: str,
        voice: str = "",
        format: audio_pb2.AudioFormat.ValueType = audio_pb2.AUDIO_FORMAT_UNSPECIFIED,
        speed: float | None = None,
        instructions: str = "",
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> audio_pb2.SpeechEnd:
        """Speak `text` into the file at `path`, chunk by chunk; returns the end event."""
        stream = self.speak(
            text,
            model=model,
            voice=voice,
            format=format,
            speed=speed,
            instructions=instructions,
            timeout=timeout,
            metadata=metadata,
        )
        with open_for_writing(path) as file:
            return await _write_speech(stream, file)
