"""Speak through the OpenAI backend: the body sent, the audio relayed as the upstream
sends it (pieces of at most 1 MiB), faults, and cancel during playback."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import grpc
import pytest

from modelgate.errors import GatewayError
from modelgate.providers.base import MEDIA_CHUNK_BYTES
from modelgate.v1 import audio_pb2
from tests.fakes import FakeOpenAI, Fault
from tests.fakes.openai_media import SPEECH_WRITE_BYTES, speech_audio
from tests.integration.openai_media.support import Media, call, collect, media_backend, target

Request = audio_pb2.SpeakRequest


def audio_of(events: list[audio_pb2.SpeakResponse]) -> bytes:
    return b"".join(event.chunk for event in events if event.HasField("chunk"))


async def test_every_field_the_caller_set_is_sent(fake: FakeOpenAI, media: Media) -> None:
    request = Request(
        model="gpt-4o-mini-tts",
        text="hello",
        voice="coral",
        format=audio_pb2.AUDIO_FORMAT_FLAC,
        speed=1.5,
        instructions="cheerfully",
        metadata={"team": "never sent"},
    )
    await collect(media.ability.speak(target("gpt-4o-mini-tts"), request, call()))
    assert fake.requests_to("/v1/audio/speech")[-1].json == {
        "model": "gpt-4o-mini-tts",
        "input": "hello",
        "voice": "coral",
        "response_format": "flac",
        "speed": 1.5,
        "instructions": "cheerfully",
    }


async def test_defaults_are_a_voice_and_mp3(fake: FakeOpenAI, media: Media) -> None:
    events = await collect(
        media.ability.speak(target("tts-1"), Request(model="tts-1", text="hi"), call())
    )
    assert fake.requests_to("/v1/audio/speech")[-1].json == {
        "model": "tts-1",
        "input": "hi",
        "voice": "alloy",
    }
    started = events[0].started
    assert (started.format, started.mime_type) == (audio_pb2.AUDIO_FORMAT_MP3, "audio/mpeg")
    assert audio_of(events) == speech_audio("hi", "mp3")


async def test_long_audio_is_relayed_whole_in_pieces_of_at_most_one_mib(media: Media) -> None:
    text = "a long story " * 400  # 5,200 characters: 12.5 MB of WAV
    request = Request(model="tts-1", text=text, format=audio_pb2.AUDIO_FORMAT_WAV)
    events = await collect(media.ability.speak(target("tts-1"), request, call()))
    expected = speech_audio(text, "wav")
    assert audio_of(events) == expected
    assert all(len(e.chunk) <= MEDIA_CHUNK_BYTES for e in events if e.HasField("chunk"))
    assert events[-1].end.audio_size_bytes == len(expected)


async def test_audio_reaches_the_caller_while_the_upstream_is_still_speaking(
    fake: FakeOpenAI, media: Media
) -> None:
    fake.script(Fault.hang(after_chunks=2))  # two writes, then the upstream never ends
    request = Request(model="tts-1", text="x" * 2000, format=audio_pb2.AUDIO_FORMAT_PCM)
    events = media.ability.speak(target("tts-1"), request, call())
    assert isinstance(events, AsyncGenerator)
    assert (await anext(events)).HasField("started")
    received = b""
    while len(received) < 2 * SPEECH_WRITE_BYTES:
        received += (await anext(events)).chunk
    assert received == speech_audio("x" * 2000, "pcm")[: 2 * SPEECH_WRITE_BYTES]
    await events.aclose()  # the caller cancels during playback
    await fake.wait_for_disconnect()


async def test_user_is_refused_since_openai_speech_takes_none(media: Media) -> None:
    request = Request(model="tts-1", text="hi", user="u-1")
    with pytest.raises(GatewayError) as caught:
        await collect(media.ability.speak(target("tts-1"), request, call()))
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.violations[0][0] == "user"


async def test_user_is_dropped_and_named_where_the_runtime_drops(fake: FakeOpenAI) -> None:
    async with media_backend(fake, unsupported_params="drop") as media:
        request = Request(model="tts-1", text="hi", user="u-1")
        events = await collect(media.ability.speak(target("tts-1"), request, call()))
    assert "user" not in fake.requests_to("/v1/audio/speech")[-1].json
    assert events[-1].end.metadata["dropped_params"] == "user"


@pytest.mark.parametrize(
    ("fault", "code", "reason"),
    [
        (Fault.rate_limited(retry_after=1), grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMITED"),
        (Fault.overloaded(), grpc.StatusCode.UNAVAILABLE, "UPSTREAM_OVERLOADED"),
        (
            Fault.reset_mid_stream(after_chunks=2),
            grpc.StatusCode.UNAVAILABLE,
            "UPSTREAM_UNAVAILABLE",
        ),
        (
            Fault.raw(b'{"ok": true}', content_type="application/json"),
            grpc.StatusCode.UNAVAILABLE,
            "UPSTREAM_INVALID_RESPONSE",
        ),
    ],
)
async def test_faults_map_to_their_statuses(
    fake: FakeOpenAI, media: Media, fault: Fault, code: grpc.StatusCode, reason: str
) -> None:
    fake.script(fault)
    request = Request(model="tts-1", text="x" * 500, format=audio_pb2.AUDIO_FORMAT_PCM)
    with pytest.raises(GatewayError) as caught:
        await collect(media.ability.speak(target("tts-1"), request, call()))
    assert (caught.value.code, caught.value.reason_name) == (code, reason)
