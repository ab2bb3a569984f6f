"""The official openai SDK must parse FakeOpenAI unchanged: proof the fake is faithful."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam

from tests.fakes import FakeModel, FakeOpenAI, Fault, Reply, ToolCall, embed
from tests.waiting import eventually

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "tell me a story"}]


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture
async def client(fake: FakeOpenAI) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(base_url=fake.url + "/v1", api_key="k", max_retries=0) as c:
        yield c


async def test_unary_chat_echoes_with_usage_and_request_id(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    raw = await client.chat.completions.with_raw_response.create(
        model="gpt-4o", messages=[{"role": "system", "content": "be brief"}, *USER]
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == "tell me a story"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "gpt-4o"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (6, 4)
    assert completion.id.startswith("chatcmpl-")
    assert raw.headers["x-request-id"] == fake.last_request.request_id
    assert raw.headers["x-request-id"].startswith("req_")
    assert int(raw.headers["x-ratelimit-remaining-requests"]) == 9999


async def test_records_what_was_sent_upstream(fake: FakeOpenAI, client: openai.AsyncOpenAI) -> None:
    tools: list[ChatCompletionToolParam] = [
        {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    ]
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    await client.chat.completions.create(
        model="gpt-4o",
        messages=[
            {"role": "system", "content": "sys"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "look"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                ],
            },
        ],
        tools=tools,
        temperature=0.25,
    )
    sent = fake.requests_to("/v1/chat/completions")[-1]
    assert sent.method == "POST"
    assert sent.headers["authorization"] == "Bearer k"
    assert sent.json["temperature"] == 0.25
    assert sent.json["tools"] == tools
    assert sent.json["messages"][0] == {"role": "system", "content": "sys"}
    assert sent.json["messages"][1]["content"][1] == image


async def test_stream_word_by_word_with_include_usage(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake.script(Reply(text="one two  three", cached_tokens=2, reasoning_tokens=5))
    stream = await client.chat.completions.create(
        model="gpt-4o", messages=USER, stream=True, stream_options={"include_usage": True}
    )
    chunks = [c async for c in stream]
    pieces = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert pieces == ["one", " two", "  three"]
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == []
    usage = chunks[-1].usage
    assert usage is not None
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == 2
    assert usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == 5
    assert usage.completion_tokens == 3 + 5
    assert fake.active_streams == 0
    assert fake.streams_started == 1


async def test_stream_helper_accumulates_tool_calls(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    args = {"city": "Paris", "units": "metric", "days": [1, 2, 3]}
    fake.script(Reply(tool_calls=[ToolCall("get_weather", args), ToolCall("noop", {})]))
    fragments = 0
    async with client.chat.completions.stream(model="gpt-4o", messages=USER) as stream:
        async for event in stream:
            if event.type == "tool_calls.function.arguments.delta":
                fragments += 1
        final = await stream.get_final_completion()
    calls = final.choices[0].message.tool_calls
    assert calls is not None
    assert [c.function.name for c in calls] == ["get_weather", "noop"]
    assert json.loads(calls[0].function.arguments) == args
    assert calls[0].id.startswith("call_") and calls[0].id != calls[1].id
    assert final.choices[0].finish_reason == "tool_calls"
    assert fragments > 3


async def test_unary_tool_calls_and_max_tokens(
    client: openai.AsyncOpenAI, fake: FakeOpenAI
) -> None:
    fake.script(Reply(tool_calls=[ToolCall("lookup", {"q": "x"}, id="call_fixed")]))
    completion = await client.chat.completions.create(model="m", messages=USER)
    message = completion.choices[0].message
    assert message.content is None
    assert message.tool_calls is not None
    call = message.tool_calls[0]
    assert call.type == "function"
    assert call.id == "call_fixed"
    assert json.loads(call.function.arguments) == {"q": "x"}
    assert completion.choices[0].finish_reason == "tool_calls"
    cut = await client.chat.completions.create(model="m", messages=USER, max_tokens=2)
    assert cut.choices[0].message.content == "tell me"
    assert cut.choices[0].finish_reason == "length"


async def test_legacy_completions_unary_and_stream(client: openai.AsyncOpenAI) -> None:
    completion = await client.completions.create(model="gpt-3.5-turbo-instruct", prompt="a b c")
    assert completion.choices[0].text == "a b c"
    assert completion.object == "text_completion"
    assert completion.usage is not None and completion.usage.total_tokens == 6
    stream = await client.completions.create(
        model="gpt-3.5-turbo-instruct", prompt="x y", stream=True
    )
    texts = [c.choices[0].text async for c in stream]
    assert "".join(texts) == "x y"


async def test_embeddings_default_base64_and_dimensions(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    result = await client.embeddings.create(model="text-embedding-3-small", input=["a", "b c"])
    assert fake.last_request.json["encoding_format"] == "base64"
    assert [d.index for d in result.data] == [0, 1]
    vec = result.data[0].embedding
    assert len(vec) == 8
    assert math.isclose(sum(v * v for v in vec), 1.0, rel_tol=1e-5)
    assert vec == pytest.approx(embed("a", 8), abs=1e-6)
    assert result.usage.prompt_tokens == 3
    floats = await client.embeddings.create(
        model="text-embedding-3-small", input="a", dimensions=16, encoding_format="float"
    )
    assert len(floats.data[0].embedding) == 16
    assert floats.data[0].embedding == pytest.approx(embed("a", 16))


async def test_responses_unary_function_call_and_previous_id(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    first = await client.responses.create(model="gpt-4o", input="hello there", instructions="x")
    assert first.output_text == "hello there"
    assert first.status == "completed"
    assert first.usage is not None
    assert (first.usage.input_tokens, first.usage.output_tokens) == (3, 2)
    fake.script(Reply(text="calling", tool_calls=[ToolCall("f", {"a": 1})]))
    second = await client.responses.create(
        model="gpt-4o", input=[{"role": "user", "content": "go"}], previous_response_id=first.id
    )
    assert fake.last_request.json["previous_response_id"] == first.id
    assert second.previous_response_id == first.id
    assert [item.type for item in second.output] == ["message", "function_call"]
    call = second.output[1]
    assert call.type == "function_call"
    assert (call.name, json.loads(call.arguments)) == ("f", {"a": 1})
    with pytest.raises(openai.BadRequestError) as info:
        await client.responses.create(model="gpt-4o", input="x", previous_response_id="resp_nope")
    assert info.value.code == "previous_response_not_found"
    assert info.value.param == "previous_response_id"


async def test_responses_stream_events_and_helper(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    stream = await client.responses.create(model="gpt-4o", input="red green", stream=True)
    events = [e async for e in stream]
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds.count("response.output_text.delta") == 2
    assert kinds[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    fake.script(Reply(tool_calls=[ToolCall("lookup", {"q": "long enough argument"})]))
    async with client.responses.stream(model="gpt-4o", input="x") as helper:
        deltas = [e async for e in helper if e.type == "response.function_call_arguments.delta"]
        final = await helper.get_final_response()
    assert len(deltas) > 1
    item = final.output[0]
    assert item.type == "function_call"
    assert json.loads(item.arguments) == {"q": "long enough argument"}


async def test_responses_reasoning_item_comes_first(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake.script(Reply(text="42", reasoning_tokens=5), Reply(text="42", reasoning_tokens=5))
    response = await client.responses.create(model="o4-mini", input="why?")
    assert [item.type for item in response.output] == ["reasoning", "message"]
    assert response.output_text == "42"
    assert response.usage is not None
    assert response.usage.output_tokens_details.reasoning_tokens == 5
    async with client.responses.stream(model="o4-mini", input="why?") as helper:
        final = await helper.get_final_response()
    assert [item.type for item in final.output] == ["reasoning", "message"]
    assert final.output_text == "42"


async def test_responses_llama_cpp_flavour_takes_typed_items_only_and_keeps_no_state() -> None:
    async with FakeOpenAI(responses="llama.cpp") as strict:
        client = openai.AsyncOpenAI(base_url=strict.url + "/v1", api_key="k", max_retries=0)
        # The assistant turn as Codex CLI and the gateway send it (no id or status), which
        # OpenAI and llama.cpp both accept; the SDK's param types do not describe it.
        history: Any = [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "a"}]},
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "b"}],
            },
            {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "done"},
            {"role": "user", "content": "and now?"},  # a user shorthand is fine
        ]
        typed = await client.responses.create(model="m", input=history)
        assert typed.output_text == "and now?"
        untyped_turn: Any = [
            {"role": "assistant", "content": [{"type": "output_text", "text": "b"}]}
        ]
        with pytest.raises(openai.BadRequestError) as untyped:
            await client.responses.create(model="m", input=untyped_turn)
        assert untyped.value.body == {
            "code": 400,
            "message": "Cannot determine type of 'item'",
            "type": "invalid_request_error",
        }
        with pytest.raises(openai.BadRequestError) as stateless:
            await client.responses.create(model="m", input="x", previous_response_id=typed.id)
        assert stateless.value.type == "invalid_request_error"
        assert "does not support 'previous_response_id'" in stateless.value.message
        await client.close()


async def test_models_listing_and_lmstudio_flavour() -> None:
    models = [FakeModel("qwen3-8b"), FakeModel("nomic-embed", kind="embeddings", loaded=False)]
    async with FakeOpenAI(models=models, lmstudio=True) as lms:
        client = openai.AsyncOpenAI(base_url=lms.url + "/v1", api_key="lm-studio", max_retries=0)
        listed = [m async for m in client.models.list()]
        assert [(m.id, m.object) for m in listed] == [
            ("qwen3-8b", "model"),
            ("nomic-embed", "model"),
        ]
        lms.add_model("phi-4")
        assert [m.id async for m in client.models.list()][-1] == "phi-4"
        await client.close()
        async with aiohttp.ClientSession() as http, http.get(lms.url + "/api/v0/models") as r:
            data = (await r.json())["data"]
    assert [(d["id"], d["type"], d["state"]) for d in data] == [
        ("qwen3-8b", "llm", "loaded"),
        ("nomic-embed", "embeddings", "not-loaded"),
        ("phi-4", "llm", "loaded"),
    ]
    assert data[0]["max_context_length"] == 8192


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
