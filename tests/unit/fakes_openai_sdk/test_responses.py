"""The official openai SDK must parse FakeOpenAI unchanged: the Responses API and model listings."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import openai
import pytest

from tests.fakes import FakeModel, FakeOpenAI, Reply, ToolCall


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
