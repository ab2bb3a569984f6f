"""FakeOpenAI's timing by construction: latency, time to first token, rate, cancellation, hangs,
and its script queue.
"""

from __future__ import annotations

import asyncio
import time

import openai
import pytest

from tests.fakes import FakeOpenAI, Fault, Reply
from tests.unit.fakes_openai_sdk.support import USER
from tests.waiting import eventually

# The fake's pacing is sleeps, so what it guarantees on any machine is lower bounds,
# timed from before each request (the fake cannot write a byte earlier than its pause
# after receiving it, however late this side reads). The upper bounds only catch a
# pause in the wrong unit or applied per token: TTFT, rate and latency here are
# 0.15-0.35 s, the bounds 10 s above them, so a loaded machine cannot reach them.
HEADROOM_S = 10.0


async def test_timing_latency_ttft_and_rate() -> None:
    async with FakeOpenAI(ttft_ms=150, tokens_per_s=20) as fake:
        client = openai.AsyncOpenAI(base_url=fake.url + "/v1", api_key="k", max_retries=0)
        started = time.monotonic()
        stream = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "a b c d e"}], stream=True
        )
        stamps: list[float] = []
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                stamps.append(time.monotonic() - started)
        assert len(stamps) == 5
        assert 0.15 <= stamps[0] < 0.15 + HEADROOM_S  # TTFT
        assert stamps[-1] >= 0.15 + 4 / 20  # then four more tokens at 20/s
        fake.script(Reply(latency_ms=200, ttft_ms=0, tokens_per_s=0))
        started = time.monotonic()
        await client.chat.completions.create(model="m", messages=USER)
        assert 0.2 <= time.monotonic() - started < 0.2 + HEADROOM_S
        await client.close()


async def test_client_cancel_is_seen_before_the_next_token() -> None:
    # The first token comes at once, the next one 60 s later (past pytest's timeout): the
    # stream is surely open when the client leaves, and the fake must notice by itself
    # rather than on its next write.
    async with FakeOpenAI(tokens_per_s=1 / 60) as fake:
        client = openai.AsyncOpenAI(base_url=fake.url + "/v1", api_key="k", max_retries=0)
        stream = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "w " * 50}], stream=True
        )
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                break
        assert fake.active_streams == 1
        await stream.close()
        await fake.wait_for_disconnect()  # recorded only for a response cut short
        # The handler's own bookkeeping ends before the disconnect is recorded.
        assert fake.active_streams == 0
        await client.close()


async def test_stop_cancels_hanging_streams_quickly() -> None:
    fake = FakeOpenAI()
    await fake.start()
    client = openai.AsyncOpenAI(base_url=fake.url + "/v1", api_key="k", max_retries=0)
    fake.script(Fault.hang(after_chunks=1), Fault.hang())
    stream = await client.chat.completions.create(model="m", messages=USER, stream=True)
    first = [await stream.__anext__(), await stream.__anext__()]
    assert first[1].choices[0].delta.content == "tell"
    pending = asyncio.create_task(client.chat.completions.create(model="m", messages=USER))
    await eventually(lambda: len(fake.requests) == 2, what="the second request reaching the fake")
    assert fake.active_streams == 1
    started = time.monotonic()
    await fake.stop()
    # Both handlers would hang forever. Had stop() not cancelled them itself, it would
    # return only after its 2 s fallback wait; cancelling takes milliseconds, so the bound
    # separates the two with a hundredfold margin for a loaded machine.
    assert time.monotonic() - started < 2.0
    assert fake.disconnects == []
    with pytest.raises(openai.APIConnectionError):
        await pending
    with pytest.raises(openai.APIConnectionError):
        await stream.__anext__()
    await client.close()
    with pytest.raises(RuntimeError):
        _ = fake.url


async def test_hang_until_client_timeout_records_disconnect() -> None:
    async with FakeOpenAI() as fake:
        client = openai.AsyncOpenAI(
            base_url=fake.url + "/v1", api_key="k", max_retries=0, timeout=0.2
        )
        fake.script(Fault.hang())
        with pytest.raises(openai.APITimeoutError):
            await client.chat.completions.create(model="m", messages=USER)
        await fake.wait_for_disconnect()
        assert len(fake.disconnects) == 1
        await client.close()


async def test_script_queue_default_and_path_scoping(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake.set_default(Reply(text="default"))
    fake.script(Reply(text="first"), Reply(text="second"))
    fake.script(Fault.server_error(), path="/v1/models")
    answers = [
        (await client.chat.completions.create(model="m", messages=USER)).choices[0].message.content
        for _ in range(3)
    ]
    assert answers == ["first", "second", "default"]
    with pytest.raises(openai.InternalServerError):
        await client.models.list()
    assert len([m async for m in client.models.list()]) == 3
    assert fake.scenario.pending() == 0
