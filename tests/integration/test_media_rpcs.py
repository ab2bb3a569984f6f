"""The media RPCs through a real gateway on the echo backend: answers, caps, codes, cancels,
cost and auth (the CLI's own tests are in test_media_cli.py)."""

from __future__ import annotations

import asyncio
import hashlib
import io
import wave
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import grpc
import pytest

from modelgate.config import (
    ApiKeyConfig,
    AuthConfig,
    ImagePriceConfig,
    LimitsConfig,
    ModelConfig,
    PricingConfig,
    TelemetryConfig,
)
from modelgate.providers.echo_media import EchoMedia
from modelgate.providers.wav import wav_header
from modelgate.v1 import audio_pb2, gateway_pb2_grpc, image_pb2
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import decode
from tests.waiting import RPC_S, eventually

UPLOAD_CAP = 100_000
SECONDS_CAP = 2.0
MEDIA = ["image_generation", "transcription", "speech", "streaming"]


def _wav(seconds: float) -> bytes:
    data = round(seconds * 16_000) * 2
    return wav_header(data, rate=16_000) + bytes(data)


def _config(model: str = "echo", **fields: Any) -> audio_pb2.TranscribeRequest:
    fields.setdefault("filename", "a.wav")
    return audio_pb2.TranscribeRequest(config=audio_pb2.TranscriptionConfig(model=model, **fields))


def _upload_messages(first: Any, audio: bytes, chunk: int = 10_000) -> list[Any]:
    return [first] + [
        audio_pb2.TranscribeRequest(audio_chunk=audio[start : start + chunk])
        for start in range(0, len(audio), chunk)
    ]


async def _upload(first: Any, audio: bytes, chunk: int = 10_000) -> AsyncIterator[Any]:
    for message in _upload_messages(first, audio, chunk):
        yield message


async def _refused(media: Served, messages: Iterable[Any]) -> Any:
    """The status of a Transcribe upload the gateway refuses, read through the blocking
    client: grpcio's asyncio client can report a server's early status on a
    client-streaming call as INTERNAL "Internal error from Core" when one of its own
    writes (or its half-close) fails after that status arrived (grpc/grpc#36066); the
    blocking client reports the server's status. Returns the error (a grpc.Call)."""

    def transcribe() -> Any:
        with grpc.insecure_channel(media.target) as channel:
            stub = gateway_pb2_grpc.ModelGatewayStub(channel)
            try:
                stub.Transcribe(iter(messages), timeout=RPC_S)
            except grpc.RpcError as error:
                return error
        raise AssertionError("the upload was accepted")

    return await asyncio.to_thread(transcribe)


@pytest.fixture(scope="module")
async def media() -> AsyncIterator[Served]:
    slow = ModelConfig(
        id="echo-media-slow",
        runtime="echo",
        capabilities=MEDIA,  # type: ignore[arg-type]
        options={"token_interval_ms": 60_000},
    )
    priced = ModelConfig(
        id="echo-media-priced",
        runtime="echo",
        capabilities=MEDIA,  # type: ignore[arg-type]
        pricing=PricingConfig(
            images=[
                ImagePriceConfig(size="8x8", quality="hd", per_image=0.08),
                ImagePriceConfig(per_image=0.04),
            ],
            transcription_per_minute=0.006,
            speech_per_million_characters=15.0,
        ),
    )
    chat_only = ModelConfig(id="echo-chat", runtime="echo", capabilities=["chat"])
    config = settings(
        echo=True,
        models=[slow, priced, chat_only],
        limits=LimitsConfig(media_max_upload_bytes=UPLOAD_CAP, media_max_audio_seconds=SECONDS_CAP),
        telemetry=TelemetryConfig(metrics=True),
    )
    async with serve(config) as running:
        yield running


def _echo_media(served: Served) -> EchoMedia:
    backend = served.gateway.catalog.runtimes["echo"].backend
    assert backend is not None
    media = backend.media()
    assert isinstance(media, EchoMedia)
    return media


async def test_generate_image_streams_a_valid_png_derived_from_the_prompt(media: Served) -> None:
    request = image_pb2.GenerateImageRequest(model="echo", prompt="a red fox", size="8x4", count=2)
    events = [e async for e in media.stub.GenerateImage(request, timeout=RPC_S)]
    kinds = [e.WhichOneof("event") for e in events]
    assert kinds == ["image", "chunk", "image", "chunk", "end"]
    png = events[1].chunk.data
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png[12:16] == b"IHDR"
    assert int.from_bytes(png[16:20], "big") == 8 and int.from_bytes(png[20:24], "big") == 4
    assert events[0].image.size_bytes == len(png) and events[0].image.mime_type == "image/png"
    idat = png.index(b"IDAT")
    raw = zlib.decompress(png[idat + 4 : idat + 4 + int.from_bytes(png[idat - 4 : idat], "big")])
    assert raw[1:4] == hashlib.sha256(b"a red fox").digest()[:3], "colour from the prompt"
    end = events[-1].end
    assert (end.model, end.provider, end.runtime, end.image_count) == (
        "echo",
        "modelgate",
        "echo",
        2,
    )
    assert end.id.startswith("resp_")


async def test_media_cost_is_per_image_minute_and_character(media: Served) -> None:
    image = image_pb2.GenerateImageRequest(
        model="echo-media-priced", prompt="x", size="8x8", quality="hd", count=3
    )
    end = [e async for e in media.stub.GenerateImage(image, timeout=RPC_S)][-1].end
    assert end.cost.media_usd == pytest.approx(0.24) and end.cost.total_usd == pytest.approx(0.24)
    answer = await media.stub.Transcribe(_upload(_config("echo-media-priced"), _wav(1.5)))
    assert answer.cost.media_usd == pytest.approx(1.5 / 60 * 0.006)
    speech = audio_pb2.SpeakRequest(model="echo-media-priced", text="hello")
    end2 = [e async for e in media.stub.Speak(speech, timeout=RPC_S)][-1].end
    assert end2.cost.total_usd == pytest.approx(5 * 15.0 / 1e6)


async def test_transcribe_states_duration_and_bytes_of_wav(media: Served) -> None:
    audio = _wav(1.5)
    first = _config(audio_size_bytes=len(audio), timestamp_granularities=[1, 2])
    answer = await media.stub.Transcribe(_upload(first, audio), timeout=RPC_S)
    assert answer.text == "echo heard 1.50 s of audio (48044 bytes)"
    assert answer.audio_size_bytes == 48044 and answer.duration.ToTimedelta().total_seconds() == 1.5
    assert [w.word for w in answer.words] == answer.text.split()
    assert len(answer.segments) == 1 and answer.model == "echo"


async def test_stream_transcribe_sends_word_deltas_then_the_transcript(media: Served) -> None:
    call = media.stub.StreamTranscribe(_upload(_config(), _wav(0.5)), timeout=RPC_S)
    events = [e async for e in call]
    text = "".join(e.delta.text for e in events[:-1])
    assert (
        len(events) > 2
        and text == events[-1].end.text == "echo heard 0.50 s of audio (16044 bytes)"
    )


async def test_speak_answers_a_playable_wav_whose_length_follows_the_text(media: Served) -> None:
    for text, seconds in (("hi", 0.1), ("x" * 50, 2.5)):
        call = media.stub.Speak(audio_pb2.SpeakRequest(model="echo", text=text), timeout=RPC_S)
        events = [e async for e in call]
        assert events[0].started.mime_type == "audio/wav"
        audio = b"".join(e.chunk for e in events if e.WhichOneof("event") == "chunk")
        with wave.open(io.BytesIO(audio)) as reader:
            assert reader.getnframes() / reader.getframerate() == pytest.approx(seconds)
        assert events[-1].end.audio_size_bytes == len(audio)


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (image_pb2.GenerateImageRequest(model="echo", prompt=" "), "prompt"),
        (image_pb2.GenerateImageRequest(model="echo", prompt="x", count=11), "count"),
        (image_pb2.GenerateImageRequest(model="echo", prompt="x", size="big"), "size"),
        (audio_pb2.SpeakRequest(model="echo", text=""), "text"),
        (audio_pb2.SpeakRequest(model="echo", text="x", speed=4.5), "speed"),
    ],
)
async def test_bad_requests_name_their_field(media: Served, request_: Any, field: str) -> None:
    rpc = (
        media.stub.GenerateImage
        if isinstance(request_, image_pb2.GenerateImageRequest)
        else media.stub.Speak
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        [e async for e in rpc(request_, timeout=RPC_S)]
    found = decode(caught.value)
    assert found.code == grpc.StatusCode.INVALID_ARGUMENT and found.violations[0][0] == field


async def test_an_upload_must_start_with_its_config_and_match_its_announced_size(
    media: Served,
) -> None:
    chunk = audio_pb2.TranscribeRequest(audio_chunk=b"RIFF")
    cases = [
        (_upload_messages(chunk, b""), "payload"),
        ([_config(), _config()], "payload"),
        (_upload_messages(_config(audio_size_bytes=50_000), _wav(1.5)), "config.audio_size_bytes"),
        (_upload_messages(_config(audio_size_bytes=90_000), _wav(1.5)), "config.audio_size_bytes"),
        (_upload_messages(_config(), b"ID3 not a wav file"), "audio_chunk"),
        (_upload_messages(_config(filename=""), _wav(0.1)), "config.filename"),
    ]
    for requests, field in cases:
        found = decode(await _refused(media, requests))
        assert found.code == grpc.StatusCode.INVALID_ARGUMENT, field
        assert found.violations[0][0] == field


async def test_uploads_over_the_caps_end_out_of_range_mid_upload(media: Served) -> None:
    sent = 0

    def endless(audio_first: bytes) -> Iterator[Any]:
        nonlocal sent
        yield _config()
        yield audio_pb2.TranscribeRequest(audio_chunk=audio_first)
        while True:  # never ends: only the cap can stop it
            sent += 10_000
            yield audio_pb2.TranscribeRequest(audio_chunk=bytes(10_000))

    for first, limit in (
        (wav_header(0, rate=48_000, channels=2), "media_max_upload_bytes"),
        (wav_header(0, rate=8000), "media_max_audio_seconds"),
    ):
        sent = 0
        found = decode(await _refused(media, endless(first)))
        assert found.code == grpc.StatusCode.OUT_OF_RANGE and found.reason == "MEDIA_TOO_LARGE"
        assert found.metadata["limit"] == limit
        assert sent < 10 * UPLOAD_CAP, "refused while the upload streamed"
    refused = await _refused(media, [_config(audio_size_bytes=UPLOAD_CAP + 1)])
    assert decode(refused).metadata == {
        "limit": "media_max_upload_bytes",
        "max": str(UPLOAD_CAP),
    }


async def test_models_without_the_capability_are_unimplemented_and_unknown_not_found(
    media: Served,
) -> None:
    for model, code in (
        ("echo-chat", grpc.StatusCode.UNIMPLEMENTED),
        ("nope", grpc.StatusCode.NOT_FOUND),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            [e async for e in media.stub.Speak(audio_pb2.SpeakRequest(model=model, text="x"))]
        assert caught.value.code() == code
        refused = await _refused(media, _upload_messages(_config(model), _wav(0.1)))
        assert refused.code() == code
    assert "echo" in (refused.details() or "") or code == grpc.StatusCode.NOT_FOUND


async def test_cancel_during_upload_closes_the_backend_call(media: Served) -> None:
    echo = _echo_media(media)
    release = asyncio.Event()

    async def held() -> AsyncIterator[Any]:
        yield _config()
        yield audio_pb2.TranscribeRequest(audio_chunk=_wav(0.1))
        await release.wait()  # the upload stalls mid-way until the test ends

    call = media.stub.Transcribe(held(), timeout=RPC_S)
    await eventually(lambda: echo.open_calls == 1, what="the echo backend reading the upload")
    call.cancel()
    await eventually(lambda: echo.open_calls == 0, what="the backend call closed by the cancel")
    release.set()


async def test_cancel_during_speech_playback_closes_the_backend_stream(media: Served) -> None:
    echo = _echo_media(media)
    call = media.stub.Speak(audio_pb2.SpeakRequest(model="echo-media-slow", text="x" * 100))
    seen: list[Any] = [await call.read(), await call.read()]
    assert [e.WhichOneof("event") for e in seen] == ["started", "chunk"]
    assert echo.open_calls == 1, "the 60 s pause holds the stream open"
    call.cancel()
    await eventually(lambda: echo.open_calls == 0, what="the speech stream closed by the cancel")


def _key(key_id: str, secret: str, **fields: Any) -> ApiKeyConfig:
    return ApiKeyConfig(id=key_id, sha256=hashlib.sha256(secret.encode()).hexdigest(), **fields)


async def test_media_rpcs_require_a_key_that_may_use_the_model() -> None:
    keys = [_key("all", "key-all-secret"), _key("chat", "key-chat-secret", models=["echo-chat"])]
    chat_only = ModelConfig(id="echo-chat", runtime="echo", capabilities=["chat"])
    config = settings(echo=True, models=[chat_only], auth=AuthConfig(enabled=True, keys=keys))
    async with serve(config) as running:
        stub = running.stub
        for secret, code in (
            (None, grpc.StatusCode.UNAUTHENTICATED),
            ("key-chat-secret", grpc.StatusCode.PERMISSION_DENIED),
        ):
            metadata = (("authorization", f"Bearer {secret}"),) if secret else ()
            assert await _codes_of_each_media_rpc(running.target, metadata) == [code] * 4
        ok = (("authorization", "Bearer key-all-secret"),)
        assert await _codes_of_each_media_rpc(running.target, ok) == [grpc.StatusCode.OK] * 4
        answer = await stub.Transcribe(_upload(_config(), _wav(0.1)), metadata=ok, timeout=RPC_S)
        assert answer.text.startswith("echo heard 0.10 s")


async def _codes_of_each_media_rpc(target: str, metadata: Any) -> list[grpc.StatusCode]:
    """The status of one call of each media RPC with `metadata` (OK when it answers),
    through the blocking client: an upload refused before it was read whole can reach
    grpcio's asyncio client as INTERNAL (see `_refused`)."""

    def codes() -> list[grpc.StatusCode]:
        found = []
        with grpc.insecure_channel(target) as channel:
            stub = gateway_pb2_grpc.ModelGatewayStub(channel)
            calls: list[tuple[Any, Any]] = [
                (stub.Transcribe, iter(_upload_messages(_config(), _wav(0.1)))),
                (stub.StreamTranscribe, iter(_upload_messages(_config(), _wav(0.1)))),
                (stub.Speak, audio_pb2.SpeakRequest(model="echo", text="x")),
                (stub.GenerateImage, image_pb2.GenerateImageRequest(model="echo", prompt="x")),
            ]
            for rpc, request in calls:
                try:
                    answer: Any = rpc(request, metadata=metadata, timeout=RPC_S)
                    if hasattr(answer, "__next__"):  # a stream of answers: read it to its end
                        list(answer)
                    found.append(grpc.StatusCode.OK)
                except grpc.RpcError as error:
                    found.append(error.code())
        return found

    return await asyncio.to_thread(codes)
