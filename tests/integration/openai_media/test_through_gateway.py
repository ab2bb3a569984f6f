"""The media RPCs through a real gateway to the OpenAI fake: one call each end to end
(id, model, cost stamped by the media path), an upstream 429 with its RetryInfo, and a
caller who cancels a Speak closing the upstream request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from modelgate.config import ModelConfig, PricingConfig, RuntimeConfig
from modelgate.config_catalog import ImagePriceConfig
from modelgate.v1 import audio_pb2, image_pb2
from tests.fakes import FakeOpenAI, Fault, Reply
from tests.fakes.media_bytes import wav
from tests.fakes.openai_media import image_bytes, speech_audio
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import decode
from tests.waiting import RPC_S

TWO_SECONDS = wav(48_000, seed="speech")


@pytest.fixture
async def served(fake: FakeOpenAI) -> AsyncIterator[Served]:
    runtime = RuntimeConfig(kind="openai", base_url=fake.url + "/v1", api_key="sk-fake-media-key")
    models = [
        ModelConfig(
            id="gpt-image-1",
            runtime="openai",
            capabilities=["image_generation"],
            pricing=PricingConfig(images=[ImagePriceConfig(per_image=0.04)]),
        ),
        ModelConfig(
            id="gpt-4o-transcribe",
            runtime="openai",
            capabilities=["transcription", "streaming"],
            pricing=PricingConfig(input=6.0, output=10.0),
        ),
        ModelConfig(
            id="tts-1",
            runtime="openai",
            capabilities=["speech"],
            pricing=PricingConfig(speech_per_million_characters=15.0),
        ),
    ]
    async with serve(settings(runtimes={"openai": runtime}, models=models)) as running:
        yield running


async def uploads(config: audio_pb2.TranscriptionConfig, audio: bytes) -> AsyncIterator[Any]:
    yield audio_pb2.StreamTranscribeRequest(config=config)
    for start in range(0, len(audio), 1 << 16):
        yield audio_pb2.StreamTranscribeRequest(audio_chunk=audio[start : start + (1 << 16)])


async def test_generate_image_end_to_end(served: Served) -> None:
    request = image_pb2.GenerateImageRequest(model="gpt-image-1", prompt="a fox", size="64x64")
    events = [e async for e in served.stub.GenerateImage(request, timeout=RPC_S)]
    image = b"".join(e.chunk.data for e in events if e.HasField("chunk"))
    assert image == image_bytes("a fox#0", "64x64", "png")
    end = events[-1].end
    assert (end.model, end.image_count) == ("gpt-image-1", 1)
    assert end.id and end.cost.media_usd == pytest.approx(0.04)


async def test_stream_transcribe_end_to_end(fake: FakeOpenAI, served: Served) -> None:
    fake.script(Reply(text="hello world"))
    config = audio_pb2.TranscriptionConfig(
        model="gpt-4o-transcribe", filename="speech.wav", audio_size_bytes=len(TWO_SECONDS)
    )
    events = [
        e async for e in served.stub.StreamTranscribe(uploads(config, TWO_SECONDS), timeout=RPC_S)
    ]
    assert [e.delta.text for e in events if e.HasField("delta")] == ["hello", " world"]
    end = events[-1].end
    assert (end.text, end.model, end.audio_size_bytes) == (
        "hello world",
        "gpt-4o-transcribe",
        len(TWO_SECONDS),
    )
    assert fake.uploads[-1].size == len(TWO_SECONDS)


async def test_speak_end_to_end(served: Served) -> None:
    request = audio_pb2.SpeakRequest(
        model="tts-1", text="hi there", format=audio_pb2.AUDIO_FORMAT_WAV
    )
    events = [e async for e in served.stub.Speak(request, timeout=RPC_S)]
    assert b"".join(e.chunk for e in events if e.HasField("chunk")) == speech_audio(
        "hi there", "wav"
    )
    assert events[-1].end.model == "tts-1"


async def test_an_upstream_429_is_resource_exhausted_with_retry_info(
    fake: FakeOpenAI, served: Served
) -> None:
    # A wait far past the call's deadline, by construction: the gateway must answer at
    # once instead of waiting (a wait equal to the deadline made the outcome depend on
    # how fast the call got there).
    wait = 10 * RPC_S
    fake.set_default(Fault.rate_limited(retry_after=wait))
    request = audio_pb2.SpeakRequest(model="tts-1", text="hi")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        [e async for e in served.stub.Speak(request, timeout=RPC_S)]
    decoded = decode(caught.value)
    assert decoded.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert decoded.retry_after is not None and decoded.retry_after >= wait - 1


async def test_a_caller_who_cancels_speak_closes_the_upstream(
    fake: FakeOpenAI, served: Served
) -> None:
    fake.script(Fault.hang(after_chunks=1))
    call = served.stub.Speak(audio_pb2.SpeakRequest(model="tts-1", text="x" * 1000), timeout=RPC_S)
    started, first = await call.read(), await call.read()
    assert isinstance(started, audio_pb2.SpeakResponse) and started.HasField("started")
    assert isinstance(first, audio_pb2.SpeakResponse) and first.chunk
    call.cancel()
    await fake.wait_for_disconnect()
