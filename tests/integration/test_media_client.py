"""The Python client's media methods against a real echo gateway, async and blocking."""

from __future__ import annotations

import asyncio
import inspect
import io
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from modelgate.app import Gateway
from modelgate.client import AsyncModelGate, ModelGate
from modelgate.providers.wav import wav_header
from modelgate.v1 import audio_pb2, image_pb2
from tests.waiting import RPC_S

WAV = wav_header(48_000, rate=16_000) + bytes(48_000)
HEARD = "echo heard 1.50 s of audio (48044 bytes)"


@pytest.mark.parametrize(
    ("method", "request_type", "positional"),
    [
        ("generate_image", image_pb2.GenerateImageRequest, {"prompt"}),
        ("speak", audio_pb2.SpeakRequest, {"text"}),
        ("transcribe", audio_pb2.TranscriptionConfig, set()),
        ("stream_transcribe", audio_pb2.TranscriptionConfig, set()),
    ],
)
def test_every_media_request_field_has_a_keyword(
    method: str, request_type: Any, positional: set[str]
) -> None:
    renamed = {"metadata": "tags"}  # `metadata=` is gRPC call metadata
    fields = {renamed.get(f.name, f.name) for f in request_type.DESCRIPTOR.fields} - positional
    for client in (AsyncModelGate, ModelGate):
        assert fields <= set(inspect.signature(getattr(client, method)).parameters), method


async def test_async_client_images_transcripts_and_speech(gateway: Gateway, tmp_path: Path) -> None:
    async with AsyncModelGate(f"127.0.0.1:{gateway.port}") as client:
        result = await client.generate_image("a fox", model="echo", count=2, size="4x4")
        paths = result.save(tmp_path / "fox.png")
        assert [p.name for p in paths] == ["fox-1.png", "fox-2.png"]
        assert all(p.read_bytes().startswith(b"\x89PNG") for p in paths)
        assert result.end.image_count == 2
        audio_file = tmp_path / "a.wav"
        audio_file.write_bytes(WAV)

        async def pieces() -> AsyncIterator[bytes]:
            yield WAV[:10]
            yield WAV[10:]

        for audio in (audio_file, WAV, pieces()):
            answer = await client.transcribe(audio, model="echo")
            assert answer.text == HEARD
        stream = client.stream_transcribe(WAV, model="echo")
        events = [event async for event in stream]
        assert "".join(e.delta.text for e in events[:-1]) == HEARD
        end = await client.speak_to_file("hello", tmp_path / "s.wav", model="echo")
        with wave.open(str(tmp_path / "s.wav")) as reader:
            assert reader.getnframes() == 4000  # 5 characters x 50 ms at 16 kHz
        assert end.audio_size_bytes == (tmp_path / "s.wav").stat().st_size


def _blocking_calls(target: str) -> tuple[str, bytes]:
    with ModelGate(target, timeout=RPC_S) as client:
        text = client.transcribe(WAV, model="echo").text
        audio = b"".join(e.chunk for e in client.speak("hi", model="echo") if e.HasField("chunk"))
        return text, audio


async def test_blocking_client_transcribes_and_speaks(gateway: Gateway) -> None:
    # In a thread: the in-process gateway serves on this test's event loop.
    text, audio = await asyncio.to_thread(_blocking_calls, f"127.0.0.1:{gateway.port}")
    assert text == HEARD
    with wave.open(io.BytesIO(audio)) as reader:
        assert reader.getnframes() == 1600
