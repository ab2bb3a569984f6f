"""The official anthropic SDK must parse FakeAnthropic unchanged: proof the fake is faithful."""

from __future__ import annotations

import time

import aiohttp
import anthropic
import httpx2
import pytest
from anthropic.types import ImageBlockParam, MessageParam

from tests.fakes import FakeAnthropic, Fault, Reply, ToolCall
from tests.unit.anthropic_sdk import anthropic_sdk_fixtures

MODEL = "claude-sonnet-4-6"
USER: list[MessageParam] = [{"role": "user", "content": "what is the weather"}]


fake, client = anthropic_sdk_fixtures()


async def test_unary_echo_usage_and_request_id(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    raw = await client.messages.with_raw_response.create(
        model=MODEL,
        max_tokens=64,
        system="you are terse",
        messages=USER,
    )
    message = await raw.parse()
    assert message.type == "message" and message.role == "assistant"
    assert message.id.startswith("msg_01")
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text == "what is the weather"  # type: ignore[union-attr]
    assert message.stop_reason == "end_turn"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (7, 4)
    assert message.usage.cache_read_input_tokens == 0
    assert raw.headers["request-id"] == fake.last_request.request_id
    assert int(raw.headers["anthropic-ratelimit-requests-remaining"]) == 3999
    sent = fake.last_request
    assert sent.headers["anthropic-version"]
    assert sent.headers["authorization"] == "Bearer k"
    assert sent.json["system"] == "you are terse"
    assert sent.json["max_tokens"] == 64


async def test_block_content_echo_and_cache_usage(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.script(Reply(cached_tokens=11, cache_creation_tokens=3))
    image: ImageBlockParam = {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": "AA"},
    }
    message = await client.messages.create(
        model=MODEL,
        max_tokens=64,
        messages=[{"role": "user", "content": [image, {"type": "text", "text": "describe it"}]}],
    )
    assert message.content[0].text == "describe it"  # type: ignore[union-attr]
    assert message.usage.cache_read_input_tokens == 11
    assert message.usage.cache_creation_input_tokens == 3
    assert fake.last_request.json["messages"][0]["content"][0] == image


async def test_raw_stream_event_order(client: anthropic.AsyncAnthropic) -> None:
    stream = await client.messages.create(model=MODEL, max_tokens=64, messages=USER, stream=True)
    events = [e async for e in stream]
    kinds = [e.type for e in events]
    assert kinds == [
        "message_start",
        "content_block_start",
        *["content_block_delta"] * 4,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    start = events[0]
    assert start.type == "message_start"
    assert start.message.usage.input_tokens == 4
    delta = events[-2]
    assert delta.type == "message_delta"
    assert delta.delta.stop_reason == "end_turn"
    assert delta.usage.output_tokens == 4


async def test_stream_helper_accumulates_text_and_tool_use(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    args = {"city": "Paris", "days": [1, 2], "nested": {"unit": "C"}}
    fake.script(Reply(text="Let me check.", tool_calls=[ToolCall("get_weather", args)]))
    async with client.messages.stream(model=MODEL, max_tokens=64, messages=USER) as stream:
        kinds = [e.type async for e in stream]
        final = await stream.get_final_message()
    assert "input_json" in kinds and "text" in kinds
    assert [b.type for b in final.content] == ["text", "tool_use"]
    assert final.content[0].text == "Let me check."  # type: ignore[union-attr]
    tool = final.content[1]
    assert tool.type == "tool_use"
    assert tool.name == "get_weather" and tool.input == args
    assert tool.id.startswith("toolu_01")
    assert final.stop_reason == "tool_use"


async def test_text_stream_and_stop_sequence(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.script(Reply(text="alpha beta", finish_reason="stop_sequence", stop_sequence="###"))
    async with client.messages.stream(model=MODEL, max_tokens=64, messages=USER) as stream:
        pieces = [t async for t in stream.text_stream]
        final = await stream.get_final_message()
    assert pieces == ["alpha", " beta"]
    assert (final.stop_reason, final.stop_sequence) == ("stop_sequence", "###")
    cut = await client.messages.create(model=MODEL, max_tokens=2, messages=USER)
    assert cut.stop_reason == "max_tokens"
    assert cut.content[0].text == "what is"  # type: ignore[union-attr]


async def test_count_tokens_and_models_pagination(client: anthropic.AsyncAnthropic) -> None:
    counted = await client.messages.count_tokens(model=MODEL, system="a b", messages=USER)
    assert counted.input_tokens == 6
    page = await client.models.list(limit=1)
    assert [m.id for m in page.data] == [MODEL]
    assert page.has_more is True
    everything = [m.id async for m in client.models.list(limit=1)]
    assert everything == [MODEL, "claude-haiku-4-5-20251001"]
    info = await client.models.retrieve(MODEL)
    assert info.display_name == "Claude Sonnet 4.6"
    with pytest.raises(anthropic.NotFoundError):
        await client.models.retrieve("claude-nope")


async def test_rate_limit_with_retry_after(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.script(Fault.rate_limited(retry_after=3, should_retry=True))
    with pytest.raises(anthropic.RateLimitError) as info:
        await client.messages.create(model=MODEL, max_tokens=8, messages=USER)
    err = info.value
    assert err.status_code == 429
    assert err.response.headers["retry-after"] == "3"
    assert err.response.headers["x-should-retry"] == "true"
    assert isinstance(err.body, dict)
    assert err.body["type"] == "error"
    assert err.body["error"]["type"] == "rate_limit_error"
    assert err.body["request_id"] == err.request_id == fake.last_request.request_id


@pytest.mark.parametrize(
    ("fault", "exc", "expected"),
    [
        (Fault.overloaded(), anthropic.OverloadedError, (529, "overloaded_error")),
        (Fault.server_error(), anthropic.InternalServerError, (500, "api_error")),
        (
            Fault.context_length_exceeded(),
            anthropic.BadRequestError,
            (400, "invalid_request_error"),
        ),
        (Fault.http(404), anthropic.NotFoundError, (404, "not_found_error")),
    ],
)
async def test_http_faults_map_to_typed_errors(
    fake: FakeAnthropic,
    client: anthropic.AsyncAnthropic,
    fault: Fault,
    exc: type[Exception],
    expected: tuple[int, str],
) -> None:
    fake.script(fault)
    with pytest.raises(exc) as info:
        await client.messages.create(model=MODEL, max_tokens=8, messages=USER)
    err = info.value
    assert isinstance(err, anthropic.APIStatusError)
    assert isinstance(err.body, dict)
    assert (err.status_code, err.body["error"]["type"]) == expected
    if expected[0] == 400:
        assert err.body["error"]["message"].startswith("prompt is too long")


async def test_mid_stream_error_event(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.script(Fault.stream_error(after_chunks=2))
    stream = await client.messages.create(model=MODEL, max_tokens=64, messages=USER, stream=True)
    seen: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as info:
        async for event in stream:
            seen.append(event.type)
    assert seen.count("content_block_delta") == 2
    assert isinstance(info.value.body, dict)
    assert info.value.body["error"] == {"type": "overloaded_error", "message": "Overloaded"}


async def test_connection_resets_and_truncation(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.script(Fault.reset(), Fault.reset_mid_stream(after_chunks=1), Fault.truncate())
    with pytest.raises(anthropic.APIConnectionError):
        await client.messages.create(model=MODEL, max_tokens=8, messages=USER)
    stream = await client.messages.create(model=MODEL, max_tokens=8, messages=USER, stream=True)
    # The SDK surfaces a mid-body reset as the transport's own error, not APIConnectionError.
    with pytest.raises((anthropic.APIConnectionError, httpx2.TransportError)):
        async for _ in stream:
            pass
    truncated = await client.messages.create(model=MODEL, max_tokens=8, messages=USER, stream=True)
    kinds = [e.type async for e in truncated]
    assert kinds[-1] == "message_delta"
    assert "message_stop" not in kinds
    assert fake.disconnects == []


async def test_auth_key_header_and_required_version() -> None:
    async with FakeAnthropic(required_api_key="sekret") as fake:
        wrong = anthropic.AsyncAnthropic(base_url=fake.url, api_key="nope", max_retries=0)
        with pytest.raises(anthropic.AuthenticationError) as info:
            await wrong.messages.create(model=MODEL, max_tokens=8, messages=USER)
        assert isinstance(info.value.body, dict)
        assert info.value.body["error"]["type"] == "authentication_error"
        right = anthropic.AsyncAnthropic(base_url=fake.url, api_key="sekret", max_retries=0)
        assert (await right.messages.count_tokens(model=MODEL, messages=USER)).input_tokens == 4
        body = {"model": MODEL, "max_tokens": 8, "messages": USER}
        async with aiohttp.ClientSession() as http:
            headers = {"x-api-key": "sekret", "anthropic-version": "2023-06-01"}
            async with http.post(fake.url + "/v1/messages", json=body, headers=headers) as r:
                assert r.status == 200
                assert (await r.json())["content"][0]["text"] == "what is the weather"
            async with http.post(
                fake.url + "/v1/messages", json=body, headers={"x-api-key": "sekret"}
            ) as r:
                assert r.status == 400
                error = (await r.json())["error"]
                assert error == {
                    "type": "invalid_request_error",
                    "message": "anthropic-version: header is required",
                }
            async with http.post(
                fake.url + "/v1/messages", headers=headers, json={"model": MODEL, "messages": USER}
            ) as r:
                assert r.status == 400
                assert (await r.json())["error"]["message"] == "max_tokens: Field required"
        await wrong.close()
        await right.close()


async def test_ttft_and_client_cancel() -> None:
    # After the first token, the next one is 60 s away (past pytest's timeout): the stream
    # is surely still open when the client closes it, and the fake must notice the close
    # itself rather than on its next write.
    async with FakeAnthropic(ttft_ms=120, tokens_per_s=1 / 60) as fake:
        client = anthropic.AsyncAnthropic(base_url=fake.url, api_key="k", max_retries=0)
        # Timed from before the request: the fake cannot send the first delta earlier than
        # TTFT after it got the request, however late this side reads the events.
        started = time.monotonic()
        stream = await client.messages.create(
            model=MODEL,
            max_tokens=500,
            stream=True,
            messages=[{"role": "user", "content": "w " * 40}],
        )
        first_delta = None
        async for event in stream:
            if event.type == "content_block_delta":
                first_delta = time.monotonic() - started
                break
        assert first_delta is not None and first_delta >= 0.12
        assert fake.active_streams == 1
        await stream.close()
        await fake.wait_for_disconnect()  # recorded only for a response cut short
        assert fake.active_streams == 0
        await client.close()
