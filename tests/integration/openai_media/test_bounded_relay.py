"""Media bodies pass through the OpenAI backend, never held whole: proved by construction.

The caller's upload iterator refuses to produce a chunk until the fake upstream has
received all but WINDOW of the chunks before it. A backend that gathered the upload
before sending it would never see the next chunk (the test would fail, bounded by
`eventually`); one that relays holds at most WINDOW chunks, socket buffers included.
Nothing here depends on timing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from tests.fakes import FakeOpenAI
from tests.fakes.media_bytes import wav
from tests.integration.openai_media.support import Media, MiB, call, config, target
from tests.waiting import eventually

UPLOAD_CHUNKS = 25
"""A 25 MiB upload (OpenAI's transcription limit is 25 MB)."""
WINDOW = 8
"""Chunks that may be in flight between the caller and the fake: the backend's one, the
multipart parser's look-ahead and loopback socket buffers (a few MiB each way)."""


async def test_a_25_mib_upload_reaches_the_upstream_while_the_caller_is_still_sending(
    fake: FakeOpenAI, media: Media
) -> None:
    audio = wav((UPLOAD_CHUNKS * MiB - 44) // 2, seed="long")
    seen_incomplete_at_last_chunk: list[bool] = []

    def received(at_least: int) -> bool:
        return bool(fake.uploads) and fake.uploads[-1].received >= at_least

    async def paced_by_the_upstream() -> AsyncIterator[bytes]:
        for index in range(UPLOAD_CHUNKS):
            if index >= WINDOW:
                behind = index - WINDOW
                await eventually(
                    lambda: received(behind * MiB),  # noqa: B023 (awaited in this iteration)
                    what=f"the upstream receiving chunk {behind} before chunk {index} is made",
                )
            if index == UPLOAD_CHUNKS - 1:
                seen_incomplete_at_last_chunk.append(not fake.uploads[-1].complete)
            yield audio[index * MiB : (index + 1) * MiB]

    answer = await media.ability.transcribe(
        target("whisper-1"),
        config("whisper-1", filename="long.wav"),
        paced_by_the_upstream(),
        call(),
    )
    upload = fake.uploads[-1]
    assert upload.size == len(audio) == answer.audio_size_bytes
    assert upload.chunked and upload.reads > UPLOAD_CHUNKS
    assert seen_incomplete_at_last_chunk == [True]
    assert answer.duration.seconds == 547  # 546.13 s of audio, billed by whole seconds
