"""The fakes' reasoning speaks each provider's wire format: the openai SDK parses it unchanged.

DeepSeek-style `reasoning_content`, OpenRouter-style `reasoning`, DeepSeek cache usage,
Responses API reasoning items and summary events, and Ollama `thinking` lines.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam
from openai.types.responses import (
    ResponseReasoningItem,
    ResponseReasoningSummaryPartAddedEvent,
    ResponseReasoningSummaryTextDeltaEvent,
)

from tests.fakes import FakeOllama, FakeOpenAI, Reply

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "why is the sky blue"}]
THOUGHT = "Rayleigh scattering.\n\nShorter wavelengths scatter more."


@pytest.fixture
async def deepseek() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(
        reasoning_field="reasoning_content", usage_dialect="deepseek", reasoning_input="rejected"
    ) as server:
        yield server


def client_of(fake: FakeOpenAI) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=fake.url + "/v1", api_key="k", max_retries=0)


async def test_deepseek_reasoning_content_unary_and_streamed(deepseek: FakeOpenAI) -> None:
    reply = Reply(text="Blue.", reasoning=THOUGHT, cached_tokens=3)
    deepseek.script(reply, reply)
    async with client_of(deepseek) as client:
        answer = await client.chat.completions.create(model="deepseek-reasoner", messages=USER)
        stream = await client.chat.completions.create(
            model="deepseek-reasoner",
            messages=USER,
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
    message = answer.choices[0].message
    assert message.content == "Blue."
    assert (message.model_extra or {})["reasoning_content"] == THOUGHT
    assert answer.usage is not None
    extra = answer.usage.model_extra or {}
    assert (extra["prompt_cache_hit_tokens"], extra["prompt_cache_miss_tokens"]) == (3, 2)
    assert answer.usage.prompt_tokens_details is None
    assert answer.usage.completion_tokens_details is not None
    assert answer.usage.completion_tokens_details.reasoning_tokens == 6
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    thought = "".join((d.model_extra or {}).get("reasoning_content", "") for d in deltas)
    assert thought == THOUGHT
    assert "".join(d.content or "" for d in deltas) == "Blue."


async def test_streamed_reasoning_comes_before_content() -> None:
    async with FakeOpenAI(reasoning_field="reasoning") as fake, client_of(fake) as client:
        fake.script(Reply(text="Blue.", reasoning=THOUGHT))
        stream = await client.chat.completions.create(model="m", messages=USER, stream=True)
        deltas = [c.choices[0].delta async for c in stream if c.choices]
    kinds = ["reasoning" if (d.model_extra or {}).get("reasoning") else "content" for d in deltas]
    assert kinds.index("content", 1) > kinds.index("reasoning")
    assert "".join((d.model_extra or {}).get("reasoning") or "" for d in deltas) == THOUGHT


async def test_deepseek_reasoner_refuses_reasoning_content_in_input(deepseek: FakeOpenAI) -> None:
    history: Any = [*USER, {"role": "assistant", "content": "x", "reasoning_content": "y"}]
    async with client_of(deepseek) as client:
        with pytest.raises(openai.BadRequestError) as info:
            await client.chat.completions.create(model="deepseek-reasoner", messages=history)
    assert "reasoning_content" in str(info.value)


async def test_responses_reasoning_summary_and_encrypted_content_round_trip() -> None:
    async with FakeOpenAI() as fake, client_of(fake) as client:
        fake.script(Reply(text="Blue.", reasoning=THOUGHT), Reply(text="again"))
        first = await client.responses.create(
            model="o4-mini",
            input="why?",
            reasoning={"effort": "low", "summary": "auto"},
            include=["reasoning.encrypted_content"],
            store=False,
        )
        item = first.output[0]
        assert isinstance(item, ResponseReasoningItem)
        assert [part.text for part in item.summary] == THOUGHT.split("\n\n")
        assert item.encrypted_content and item.encrypted_content.startswith("gAAAAA")
        assert first.usage is not None
        assert first.usage.output_tokens_details.reasoning_tokens == 6
        replay: Any = item.model_dump(exclude_none=True)
        turns: Any = [{"role": "user", "content": "why?"}, replay]
        again = await client.responses.create(model="o4-mini", input=turns, store=False)
        assert again.output_text == "again"
        replay.pop("encrypted_content")
        with pytest.raises(openai.NotFoundError):
            await client.responses.create(model="o4-mini", input=[replay], store=False)


async def test_responses_reasoning_summary_stream_events() -> None:
    async with FakeOpenAI() as fake, client_of(fake) as client:
        fake.script(Reply(text="Blue.", reasoning=THOUGHT))
        stream = await client.responses.create(
            model="o4-mini",
            input="why?",
            reasoning={"summary": "auto"},
            include=["reasoning.encrypted_content"],
            stream=True,
        )
        events = [event async for event in stream]
    added = [e for e in events if isinstance(e, ResponseReasoningSummaryPartAddedEvent)]
    assert [e.summary_index for e in added] == [0, 1]
    deltas = [e for e in events if isinstance(e, ResponseReasoningSummaryTextDeltaEvent)]
    assert "".join(e.delta for e in deltas if e.summary_index == 1) == THOUGHT.split("\n\n")[1]
    done = next(e for e in events if e.type == "response.output_item.done")
    assert isinstance(done.item, ResponseReasoningItem)
    assert done.item.encrypted_content


async def test_ollama_thinking_unary_streamed_and_think_values() -> None:
    body: dict[str, Any] = {
        "model": "qwen2.5:7b",
        "messages": [{"role": "user", "content": "why"}],
        "think": "high",
    }
    async with FakeOllama() as fake, aiohttp.ClientSession() as http:
        fake.script(Reply(text="Blue.", reasoning=THOUGHT), Reply(text="Blue.", reasoning=THOUGHT))
        async with http.post(f"{fake.url}/api/chat", json={**body, "stream": False}) as resp:
            answer = await resp.json()
        async with http.post(f"{fake.url}/api/chat", json=body) as resp:
            lines = [json.loads(line) async for line in resp.content if line.strip()]
        async with http.post(f"{fake.url}/api/chat", json={**body, "think": "max"}) as resp:
            refused = (resp.status, await resp.json())
    assert answer["message"] == {"role": "assistant", "content": "Blue.", "thinking": THOUGHT}
    assert "".join(line["message"].get("thinking", "") for line in lines) == THOUGHT
    assert "".join(line["message"]["content"] for line in lines) == "Blue."
    assert lines[-1]["done"] is True
    assert refused[0] == 400
    assert refused[1]["error"].startswith('invalid think value: "max"')
