"""The official openai SDK must parse FakeOpenAI's media answers unchanged: images,
transcriptions (json, verbose_json, stream=True) and streamed speech."""

from __future__ import annotations

import base64
import io

import openai
import pytest

from tests.fakes import FakeOpenAI, Fault
from tests.fakes.media_bytes import wav
from tests.fakes.openai_media import speech_audio

TWO_SECONDS = wav(48_000, seed="speech")


async def test_images_generate_parses_b64_images_and_usage(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    answer = await client.images.generate(
        model="gpt-image-1", prompt="a red fox", n=2, size="1024x1024", output_format="png"
    )
    assert answer.data is not None and len(answer.data) == 2
    image = base64.b64decode(answer.data[0].b64_json or "")
    assert image.startswith(b"\x89PNG\r\n\x1a\n") and len(image) > 3_000_000
    assert answer.usage is not None and answer.usage.output_tokens == 544
    assert answer.output_format == "png"
    sent = fake.requests_to("/v1/images/generations")[-1].json
    assert sent == {
        "model": "gpt-image-1",
        "prompt": "a red fox",
        "n": 2,
        "size": "1024x1024",
        "output_format": "png",
    }


async def test_dall_e_answers_a_url_unless_b64_json_is_asked(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    by_url = await client.images.generate(model="dall-e-3", prompt="a fox")
    assert by_url.data is not None and by_url.data[0].url is not None
    assert by_url.data[0].revised_prompt == "A detailed picture of a fox"
    by_b64 = await client.images.generate(
        model="dall-e-3", prompt="a fox", response_format="b64_json"
    )
    assert by_b64.data is not None and by_b64.data[0].b64_json


async def test_gpt_image_refuses_response_format(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await client.images.generate(
            model="gpt-image-1", prompt="a fox", response_format="b64_json"
        )
    assert caught.value.code == "unknown_parameter"


async def test_transcription_json_with_token_usage(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    answer = await client.audio.transcriptions.create(
        model="gpt-4o-transcribe",
        file=("speech.wav", io.BytesIO(TWO_SECONDS), "audio/wav"),
        language="en",
        prompt="names",
        temperature=0.2,
    )
    assert answer.text == f"Transcript of speech.wav: {len(TWO_SECONDS)} bytes, 2.00 seconds."
    assert answer.usage is not None and answer.usage.type == "tokens"
    upload = fake.uploads[-1]
    assert (upload.filename, upload.content_type, upload.size) == (
        "speech.wav",
        "audio/wav",
        len(TWO_SECONDS),
    )
    assert upload.field("language") == "en" and upload.field("temperature") == "0.2"


async def test_transcription_verbose_json_with_words_and_segments(
    client: openai.AsyncOpenAI,
) -> None:
    answer = await client.audio.transcriptions.create(
        model="whisper-1",
        file=("speech.wav", TWO_SECONDS),
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
    )
    assert answer.duration == 2.0 and answer.language == "english"
    assert answer.segments is not None and answer.segments[0].end == 2.0
    assert answer.words is not None and answer.words[0].start == 0.0
    assert answer.usage is not None and answer.usage.seconds == 2


async def test_transcription_stream_events(client: openai.AsyncOpenAI) -> None:
    stream = await client.audio.transcriptions.create(
        model="gpt-4o-mini-transcribe", file=("speech.wav", TWO_SECONDS), stream=True
    )
    events = [event async for event in stream]
    deltas = [e.delta for e in events if e.type == "transcript.text.delta"]
    done = events[-1]
    assert done.type == "transcript.text.done"
    assert "".join(deltas) == done.text
    assert done.usage is not None and done.usage.total_tokens > 0


async def test_transcription_stream_error_event_raises(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake.script(Fault.stream_error(after_chunks=1, message="boom"))
    stream = await client.audio.transcriptions.create(
        model="gpt-4o-transcribe", file=("speech.wav", TWO_SECONDS), stream=True
    )
    with pytest.raises(openai.APIError, match="boom"):
        async for _event in stream:
            pass


async def test_speech_streams_the_audio(fake: FakeOpenAI, client: openai.AsyncOpenAI) -> None:
    async with client.audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts", input="hello there", voice="alloy", response_format="wav"
    ) as response:
        assert response.headers["content-type"] == "audio/wav"
        assert "content-length" not in response.headers
        audio = b"".join([piece async for piece in response.iter_bytes()])
    assert audio == speech_audio("hello there", "wav")
    assert fake.requests_to("/v1/audio/speech")[-1].json["voice"] == "alloy"


async def test_rate_limited_image_is_a_rate_limit_error(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake.script(Fault.rate_limited(retry_after=2))
    with pytest.raises(openai.RateLimitError) as caught:
        await client.images.generate(model="gpt-image-1", prompt="a fox")
    assert caught.value.response.headers["retry-after"] == "2"
