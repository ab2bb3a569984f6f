"""The official openai SDK must parse FakeOpenAI unchanged: chat, streams, tools, completions,
embeddings.
"""

from __future__ import annotations

import json
import math

import openai
import pytest
from openai.types.chat import ChatCompletionToolParam

from tests.fakes import FakeOpenAI, Reply, ToolCall, embed
from tests.unit.fakes_openai_sdk.support import USER


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
