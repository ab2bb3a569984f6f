"""The access log of the media RPCs through a real gateway: exactly one line per
GenerateImage, Transcribe, StreamTranscribe and Speak call, with what served it, its usage,
cost and first-output time; never the prompt, text or audio, even with content capture on."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from modelgate.config import (
    AccessLogConfig,
    ApiKeyConfig,
    AuthConfig,
    ImagePriceConfig,
    ModelConfig,
    PricingConfig,
)
from modelgate.providers.wav import wav_header
from modelgate.v1 import audio_pb2, image_pb2
from tests.gateways import serve, settings
from tests.waiting import RPC_S, eventually

SECRET = "sk-access-media-0123456789abcdef"
AUTH = [("authorization", f"Bearer {SECRET}")]
MODEL = "echo-media-priced"
PRICED = ModelConfig(
    id=MODEL,
    runtime="echo",
    capabilities=["image_generation", "transcription", "speech", "streaming"],
    pricing=PricingConfig(
        images=[ImagePriceConfig(per_image=0.04)],
        transcription_per_minute=0.006,
        speech_per_million_characters=15.0,
    ),
)
PROMPT = "a purple walrus at dawn"


def _wav(seconds: float) -> bytes:
    data = round(seconds * 16_000) * 2
    return wav_header(data, rate=16_000) + bytes(data)


async def _upload(kind: Any, audio: bytes) -> AsyncIterator[Any]:
    config = audio_pb2.TranscriptionConfig(model=MODEL, filename="a.wav")
    yield kind(config=config)
    yield kind(audio_chunk=audio)


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("include_content", [False, True])
async def test_every_media_call_gets_exactly_one_line(
    tmp_path: Path, include_content: bool
) -> None:
    path = tmp_path / "access.log"
    key = ApiKeyConfig(id="team-m", sha256=hashlib.sha256(SECRET.encode()).hexdigest())
    config = settings(
        echo=True,
        models=[PRICED],
        auth=AuthConfig(enabled=True, keys=[key]),
        access_log=AccessLogConfig(file=path, include_content=include_content),
    )
    async with serve(config) as served:
        stub = served.stub
        image = image_pb2.GenerateImageRequest(model=MODEL, prompt=PROMPT, count=2)
        drawn = [e async for e in stub.GenerateImage(image, metadata=AUTH, timeout=RPC_S)]
        heard = await stub.Transcribe(
            _upload(audio_pb2.TranscribeRequest, _wav(1.5)), metadata=AUTH, timeout=RPC_S
        )
        streamed = [
            e
            async for e in stub.StreamTranscribe(
                _upload(audio_pb2.StreamTranscribeRequest, _wav(0.5)), metadata=AUTH, timeout=RPC_S
            )
        ]
        spoken = audio_pb2.SpeakRequest(model=MODEL, text=PROMPT)
        said = [e async for e in stub.Speak(spoken, metadata=AUTH, timeout=RPC_S)]
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.Speak(audio_pb2.SpeakRequest(model=MODEL), metadata=AUTH).read()
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        await eventually(lambda: len(_lines(path)) >= 5, what="5 access lines")
    lines = _lines(path)
    assert len(lines) == 5, "the gateway flushed on stop: one line per call, no more"
    image_line, heard_line, stream_line, speak_line, bad_line = lines
    ends: list[Any] = [drawn[-1].end, heard, streamed[-1].end, said[-1].end]
    rpcs = ["GenerateImage", "Transcribe", "StreamTranscribe", "Speak"]
    for line, end, rpc in zip(lines, ends, rpcs, strict=False):
        assert (line["rpc"], line["status"], line["key_id"]) == (rpc, "OK", "team-m")
        assert (line["requested_model"], line["model"], line["runtime"]) == (MODEL, MODEL, "echo")
        assert line["attempts"] == 1 and line["latency_ms"] > 0
        assert line["input_tokens"] == end.usage.input_tokens
        assert line["output_tokens"] == end.usage.output_tokens
        assert line["cost_usd"] == pytest.approx(end.cost.total_usd) and end.cost.total_usd > 0
        assert "content" not in line, "media content (images, audio, their text) is never logged"
    assert image_line["cost_usd"] == pytest.approx(0.08), "2 images at $0.04"
    assert speak_line["cost_usd"] == pytest.approx(len(PROMPT) * 15.0 / 1e6)
    assert heard_line["ttft_ms"] is None, "a unary answer has no first output"
    for streaming in (image_line, stream_line, speak_line):
        assert 0 < streaming["ttft_ms"] <= streaming["latency_ms"], "first image/audio/text out"
    assert (bad_line["rpc"], bad_line["status"]) == ("Speak", "INVALID_ARGUMENT")
    text = path.read_text()
    assert SECRET not in text and "walrus" not in text
