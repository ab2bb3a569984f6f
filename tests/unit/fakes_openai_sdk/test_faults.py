"""The official openai SDK must parse FakeOpenAI's faults as the real API's: typed errors,
connection and stream faults.
"""

from __future__ import annotations

import json

import openai
import pytest

from tests.fakes import FakeOpenAI, Fault
from tests.unit.fakes_openai_sdk.support import USER


async def test_rate_limit_error_carries_retry_after(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake.script(Fault.rate_limited(retry_after=2, retry_after_ms=1500, should_retry=True))
    with pytest.raises(openai.RateLimitError) as info:
        await client.chat.completions.create(model="gpt-4o", messages=USER)
    err = info.value
    assert err.status_code == 429
    assert err.code == "rate_limit_exceeded"
    assert err.type == "requests"
    assert err.response.headers["retry-after"] == "2"
    assert err.response.headers["retry-after-ms"] == "1500"
    assert err.response.headers["x-should-retry"] == "true"
    assert err.request_id == fake.last_request.request_id


@pytest.mark.parametrize(
    ("fault", "exc", "status"),
    [
        (Fault.server_error(), openai.InternalServerError, 500),
        (Fault.overloaded(), openai.InternalServerError, 503),
        (Fault.context_length_exceeded(), openai.BadRequestError, 400),
        (Fault.http(404), openai.NotFoundError, 404),
    ],
)
async def test_http_faults_map_to_typed_errors(
    fake: FakeOpenAI, client: openai.AsyncOpenAI, fault: Fault, exc: type[Exception], status: int
) -> None:
    fake.script(fault)
    with pytest.raises(exc) as info:
        await client.chat.completions.create(model="gpt-4o", messages=USER)
    assert isinstance(info.value, openai.APIStatusError)
    assert info.value.status_code == status
    if status == 400:
        assert info.value.code == "context_length_exceeded"


async def test_auth_and_strict_models() -> None:
    async with FakeOpenAI(required_api_key="sekret", strict_models=True) as fake:
        bad = openai.AsyncOpenAI(base_url=fake.url + "/v1", api_key="wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError) as info:
            await bad.models.list()
        assert info.value.code == "invalid_api_key"
        good = openai.AsyncOpenAI(base_url=fake.url + "/v1", api_key="sekret", max_retries=0)
        with pytest.raises(openai.NotFoundError) as missing:
            await good.chat.completions.create(model="gpt-9", messages=USER)
        assert missing.value.code == "model_not_found"
        ok = await good.chat.completions.create(model="gpt-4o", messages=USER)
        assert ok.choices[0].message.content == "tell me a story"
        await bad.close()
        await good.close()


async def test_connection_faults(fake: FakeOpenAI, client: openai.AsyncOpenAI) -> None:
    fake.script(Fault.reset(), Fault.reset_mid_stream(after_chunks=1))
    with pytest.raises(openai.APIConnectionError):
        await client.chat.completions.create(model="gpt-4o", messages=USER)
    stream = await client.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
    got: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        async for chunk in stream:
            got.append(chunk.choices[0].delta.content or "")
    assert "".join(got) == "tell"
    assert fake.disconnects == []  # our own resets are not client disconnects


async def test_stream_content_faults(fake: FakeOpenAI, client: openai.AsyncOpenAI) -> None:
    fake.script(
        Fault.truncate(),
        Fault.stream_error(after_chunks=2, message="boom"),
        Fault.malformed(after_chunks=1),
    )
    async with client.chat.completions.with_streaming_response.create(
        model="m", messages=USER, stream=True
    ) as raw:
        wire = b"".join([part async for part in raw.iter_bytes()])
    assert wire.count(b"data: {") == 6  # role, 4 words, finish: only [DONE] is missing
    assert b'"finish_reason":"stop"' in wire
    assert b"[DONE]" not in wire
    errored = await client.chat.completions.create(model="m", messages=USER, stream=True)
    with pytest.raises(openai.APIError, match="boom"):
        async for _ in errored:
            pass
    malformed = await client.chat.completions.create(model="m", messages=USER, stream=True)
    with pytest.raises(json.JSONDecodeError):
        async for _ in malformed:
            pass
