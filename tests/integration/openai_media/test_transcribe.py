"""Transcribe and StreamTranscribe through the OpenAI backend: the form sent, the answer
mapped (timings, usage), upstream faults, and uploads that fail or are cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator

import grpc
import pytest

from modelgate.errors import GatewayError, invalid_argument
from modelgate.v1 import audio_pb2
from tests.fakes import FakeOpenAI, Fault, Reply
from tests.fakes.media_bytes import wav
from tests.integration.openai_media.support import (
    Media,
    call,
    chunks_of,
    collect,
    config,
    target,
)
from tests.waiting import eventually

TWO_SECONDS = wav(48_000, seed="speech")
G = audio_pb2


async def test_every_field_the_caller_set_is_sent_as_a_form_field(
    fake: FakeOpenAI, media: Media
) -> None:
    asked = config(
        "gpt-4o-transcribe",
        language="en",
        prompt="Names: Ada",
        temperature=0.25,
        mime_type="audio/x-wav",
        metadata={"team": "never sent"},
    )
    await media.ability.transcribe(
        target("gpt-4o-transcribe"), asked, chunks_of(TWO_SECONDS, 4096), call()
    )
    upload = fake.uploads[-1]
    assert fake.requests_to("/v1/audio/transcriptions")[-1].json == {
        "model": "gpt-4o-transcribe",
        "language": "en",
        "prompt": "Names: Ada",
        "temperature": "0.25",
        "response_format": "json",
    }
    assert (upload.filename, upload.content_type) == ("speech.wav", "audio/x-wav")
    assert upload.size == len(TWO_SECONDS) and upload.complete
    assert upload.chunked, "the upload's length is unknown in advance: it goes chunked"


async def test_token_billed_answer_maps_text_usage_and_size(media: Media) -> None:
    answer = await media.ability.transcribe(
        target("gpt-4o-transcribe"), config("gpt-4o-transcribe"), chunks_of(TWO_SECONDS), call()
    )
    assert answer.text == f"Transcript of speech.wav: {len(TWO_SECONDS)} bytes, 2.00 seconds."
    assert (answer.usage.input_tokens, answer.usage.output_tokens) == (20, 7)
    assert answer.usage.total_tokens == 27
    assert answer.audio_size_bytes == len(TWO_SECONDS)


async def test_timings_ask_for_verbose_json_and_come_back_as_segments_and_words(
    fake: FakeOpenAI, media: Media
) -> None:
    fake.script(Reply(text="hello big world"))
    asked = config(
        "whisper-1",
        timestamp_granularities=[G.TIMESTAMP_GRANULARITY_WORD, G.TIMESTAMP_GRANULARITY_SEGMENT],
    )
    answer = await media.ability.transcribe(
        target("whisper-1"), asked, chunks_of(TWO_SECONDS), call()
    )
    upload = fake.uploads[-1]
    assert upload.field("response_format") == "verbose_json"
    assert upload.fields["timestamp_granularities[]"] == ["word", "segment"]
    assert answer.language == "english" and answer.duration.ToMilliseconds() == 2000
    segments = [
        (s.index, s.start.ToMilliseconds(), s.end.ToMilliseconds()) for s in answer.segments
    ]
    assert segments == [(0, 0, 2000)]
    words = [(w.word, w.start.ToMilliseconds(), w.end.ToMilliseconds()) for w in answer.words]
    assert words == [("hello", 0, 667), ("big", 667, 1333), ("world", 1333, 2000)]


async def test_duration_billed_answer_gives_the_billed_duration(media: Media) -> None:
    answer = await media.ability.transcribe(
        target("whisper-1"), config("whisper-1"), chunks_of(TWO_SECONDS), call()
    )
    assert answer.duration.seconds == 2 and not answer.HasField("usage")


async def test_stream_relays_deltas_then_the_whole_transcript(
    fake: FakeOpenAI, media: Media
) -> None:
    fake.script(Reply(text="one two three"))
    events = await collect(
        media.ability.stream_transcribe(
            target("gpt-4o-transcribe"),
            config("gpt-4o-transcribe"),
            chunks_of(TWO_SECONDS),
            call(),
        )
    )
    assert fake.uploads[-1].field("stream") == "true"
    deltas = [e.delta.text for e in events if e.HasField("delta")]
    assert deltas == ["one", " two", " three"]
    end = events[-1].end
    assert end.text == "one two three" and end.usage.output_tokens == 3
    assert end.audio_size_bytes == len(TWO_SECONDS)


@pytest.mark.parametrize(
    ("fault", "code", "reason"),
    [
        (Fault.rate_limited(retry_after=2), grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMITED"),
        (Fault.server_error(), grpc.StatusCode.UNAVAILABLE, "UPSTREAM_UNAVAILABLE"),
        (Fault.stream_error(after_chunks=1), grpc.StatusCode.UNAVAILABLE, "UPSTREAM_UNAVAILABLE"),
        (Fault.truncate(), grpc.StatusCode.UNAVAILABLE, "UPSTREAM_UNAVAILABLE"),
        (Fault.malformed(), grpc.StatusCode.UNAVAILABLE, "UPSTREAM_INVALID_RESPONSE"),
    ],
)
async def test_stream_faults_map_to_their_statuses(
    fake: FakeOpenAI, media: Media, fault: Fault, code: grpc.StatusCode, reason: str
) -> None:
    fake.script(fault)
    events = media.ability.stream_transcribe(
        target("gpt-4o-transcribe"), config("gpt-4o-transcribe"), chunks_of(TWO_SECONDS), call()
    )
    with pytest.raises(GatewayError) as caught:
        await collect(events)
    assert (caught.value.code, caught.value.reason_name) == (code, reason)


async def test_a_model_that_refuses_timings_is_invalid_argument(media: Media) -> None:
    asked = config("gpt-4o-transcribe", timestamp_granularities=[G.TIMESTAMP_GRANULARITY_WORD])
    with pytest.raises(GatewayError) as caught:
        await media.ability.transcribe(
            target("gpt-4o-transcribe"), asked, chunks_of(TWO_SECONDS), call()
        )
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "verbose_json" in caught.value.message


async def test_an_upload_that_fails_ends_with_its_own_error_and_never_completes_upstream(
    fake: FakeOpenAI, media: Media
) -> None:
    short = invalid_argument([("config.audio_size_bytes", "the upload ended short")])

    async def truncated() -> AsyncIterator[bytes]:
        yield TWO_SECONDS[:4096]
        await eventually(lambda: bool(fake.uploads) and fake.uploads[-1].received > 4096)
        raise short

    with pytest.raises(GatewayError) as caught:
        await media.ability.transcribe(
            target("gpt-4o-transcribe"), config("gpt-4o-transcribe"), truncated(), call()
        )
    assert caught.value is short
    await fake.wait_for_disconnect()
    assert not fake.uploads[-1].complete, "the upstream never saw a whole (truncated) file"


async def test_cancel_during_upload_closes_the_upstream_request(
    fake: FakeOpenAI, media: Media
) -> None:
    async def endless() -> AsyncIterator[bytes]:
        yield TWO_SECONDS[:4096]
        await asyncio.Future()  # the caller goes quiet

    transcribing = asyncio.create_task(
        media.ability.transcribe(
            target("gpt-4o-transcribe"), config("gpt-4o-transcribe"), endless(), call()
        )
    )
    await eventually(lambda: bool(fake.uploads) and fake.uploads[-1].received > 4096)
    transcribing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await transcribing
    await fake.wait_for_disconnect()
    assert not fake.uploads[-1].complete


async def test_cancel_while_the_transcript_streams_closes_the_upstream(
    fake: FakeOpenAI, media: Media
) -> None:
    fake.script(Fault.hang(after_chunks=1))
    events = media.ability.stream_transcribe(
        target("gpt-4o-transcribe"), config("gpt-4o-transcribe"), chunks_of(TWO_SECONDS), call()
    )
    first = await anext(aiter(events))
    assert first.HasField("delta")
    assert isinstance(events, AsyncGenerator)
    await events.aclose()  # what the servicer does when its caller cancels
    await fake.wait_for_disconnect()
