"""The official google-genai SDK must parse FakeGemini unchanged: proof the fake is faithful."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from google import genai
from google.genai import errors, types

from tests.fakes import FakeGemini, FakeModel, Fault, ToolCall
from tests.fakes.gemini_fake import GeminiReply
from tests.fakes.scenario import Thought

MODEL = "gemini-2.5-flash"
KEY = "gemini-fidelity-key-123456"


@pytest.fixture
async def fake() -> AsyncIterator[FakeGemini]:
    async with FakeGemini(required_api_key=KEY) as server:
        yield server


def _client(url: str, key: str = KEY) -> genai.Client:
    options = types.HttpOptions(
        base_url=url, api_version="v1beta", retry_options=types.HttpRetryOptions(attempts=1)
    )
    return genai.Client(api_key=key, http_options=options)


@pytest.fixture
def client(fake: FakeGemini) -> genai.Client:
    return _client(fake.url)


async def test_unary_text_usage_and_key_header(fake: FakeGemini, client: genai.Client) -> None:
    response = await client.aio.models.generate_content(
        model=MODEL,
        contents="what is the weather",
        config=types.GenerateContentConfig(system_instruction="be terse", max_output_tokens=64),
    )
    assert response.text == "what is the weather"
    assert response.candidates is not None
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    assert response.usage_metadata is not None
    assert response.usage_metadata.prompt_token_count == 6
    assert response.usage_metadata.candidates_token_count == 4
    assert response.response_id and response.model_version == MODEL
    sent = fake.last_request
    assert sent.path == f"/v1beta/models/{MODEL}:generateContent"
    assert sent.headers["x-goog-api-key"] == KEY
    assert "key" not in sent.query
    assert sent.json["systemInstruction"]["parts"] == [{"text": "be terse"}]
    assert sent.json["generationConfig"]["maxOutputTokens"] == 64


async def test_function_calls_thoughts_and_signatures(
    fake: FakeGemini, client: genai.Client
) -> None:
    fake.script(
        GeminiReply(
            text="Checking.",
            tool_calls=[ToolCall("get_weather", {"city": "Paris", "days": 2})],
            thoughts=(Thought("The user wants weather."),),
            signature="c2lnbmF0dXJlLWJ5dGVz",
            call_ids=True,
            reasoning_tokens=5,
        )
    )
    response = await client.aio.models.generate_content(
        model=MODEL,
        contents="weather in Paris?",
        config=types.GenerateContentConfig(
            thinking_config=types.ThinkingConfig(include_thoughts=True, thinking_budget=1024)
        ),
    )
    assert response.candidates is not None and response.candidates[0].content is not None
    parts = response.candidates[0].content.parts or []
    assert parts[0].thought is True and parts[0].text == "The user wants weather."
    assert parts[1].text == "Checking."
    call = parts[2].function_call
    assert call is not None and call.name == "get_weather"
    assert call.args == {"city": "Paris", "days": 2} and call.id
    assert parts[2].thought_signature == b"signature-bytes"  # base64 on the wire
    assert response.usage_metadata is not None
    assert response.usage_metadata.thoughts_token_count == 5
    # The SDK sends these two in their proto (snake_case) names; Google's parser takes both.
    thinking = fake.last_request.json["generationConfig"]["thinkingConfig"]
    assert thinking == {"include_thoughts": True, "thinking_budget": 1024}


async def test_stream_chunks_end_with_finish_reason_and_signature(
    fake: FakeGemini, client: genai.Client
) -> None:
    fake.script(GeminiReply(text="one two three", signature="c2ln"))
    chunks = [
        chunk
        async for chunk in await client.aio.models.generate_content_stream(
            model=MODEL, contents="count"
        )
    ]
    assert "".join(c.text or "" for c in chunks) == "one two three"
    last = chunks[-1]
    assert last.candidates is not None
    assert last.candidates[0].finish_reason == types.FinishReason.STOP
    assert last.candidates[0].content is not None and last.candidates[0].content.parts
    assert last.candidates[0].content.parts[0].thought_signature == b"sig"
    assert last.usage_metadata is not None and last.usage_metadata.candidates_token_count == 3
    assert fake.last_request.query == {"alt": "sse"}


async def test_safety_finish_and_blocked_prompt(fake: FakeGemini, client: genai.Client) -> None:
    fake.script(GeminiReply(text="", finish_reason="SAFETY"), GeminiReply(block_reason="SAFETY"))
    stopped = await client.aio.models.generate_content(model=MODEL, contents="x")
    assert stopped.candidates is not None
    assert stopped.candidates[0].finish_reason == types.FinishReason.SAFETY
    blocked = await client.aio.models.generate_content(model=MODEL, contents="x")
    assert not blocked.candidates
    assert blocked.prompt_feedback is not None
    assert blocked.prompt_feedback.block_reason == types.BlockedReason.SAFETY


async def test_rate_limit_is_an_api_error_with_retry_info(
    fake: FakeGemini, client: genai.Client
) -> None:
    fake.script(Fault.rate_limited(retry_after=3))
    with pytest.raises(errors.ClientError) as caught:
        await client.aio.models.generate_content(model=MODEL, contents="x")
    assert caught.value.code == 429 and caught.value.status == "RESOURCE_EXHAUSTED"
    details = caught.value.details["error"]["details"]
    kinds = [d["@type"].rsplit(".", 1)[-1] for d in details]
    assert kinds == ["QuotaFailure", "Help", "RetryInfo"]
    assert details[-1]["retryDelay"] == "3s"
    assert "retry-after" not in {k.lower() for k in (caught.value.response.headers or {})}


@pytest.mark.parametrize(("status", "sdk_status"), [(500, "INTERNAL"), (503, "UNAVAILABLE")])
async def test_server_errors_parse(
    fake: FakeGemini, client: genai.Client, status: int, sdk_status: str
) -> None:
    fake.script(Fault.http(status))
    with pytest.raises(errors.ServerError) as caught:
        await client.aio.models.generate_content(model=MODEL, contents="x")
    assert (caught.value.code, caught.value.status) == (status, sdk_status)


async def test_wrong_key_is_400_with_error_info_api_key_invalid(fake: FakeGemini) -> None:
    with pytest.raises(errors.ClientError) as wrong:
        await _client(fake.url, "not-the-key-0000").aio.models.generate_content(
            model=MODEL, contents="x"
        )
    assert wrong.value.code == 400
    assert wrong.value.details["error"]["details"][0]["reason"] == "API_KEY_INVALID"


async def test_stream_error_event_raises_mid_stream(fake: FakeGemini, client: genai.Client) -> None:
    fake.script(Fault.stream_error(after_chunks=1))
    texts: list[str] = []
    with pytest.raises(errors.APIError) as caught:
        async for chunk in await client.aio.models.generate_content_stream(
            model=MODEL, contents="a b c"
        ):
            texts.append(chunk.text or "")
    assert texts == ["a"]
    assert caught.value.code == 503


async def test_count_tokens_and_embeddings(fake: FakeGemini, client: genai.Client) -> None:
    counted = await client.aio.models.count_tokens(model=MODEL, contents="four words right here")
    assert counted.total_tokens == 4
    single = await client.aio.models.embed_content(
        model="gemini-embedding-001",
        contents="hello",
        config=types.EmbedContentConfig(output_dimensionality=4),
    )
    assert single.embeddings is not None and len(single.embeddings[0].values or []) == 4
    many = await client.aio.models.embed_content(
        model="gemini-embedding-001", contents=["a", "b", "a"]
    )
    assert many.embeddings is not None and len(many.embeddings) == 3
    assert many.embeddings[0].values == many.embeddings[2].values
    assert fake.last_request.path.endswith(":batchEmbedContents")


async def test_model_listing_pages(fake: FakeGemini, client: genai.Client) -> None:
    fake.add_model(FakeModel("gemini-3-pro-preview", display_name="Gemini 3 Pro"))
    pager = await client.aio.models.list(config=types.ListModelsConfig(page_size=2))
    models = [m async for m in pager]
    assert [m.name for m in models] == [
        "models/gemini-2.5-flash",
        "models/gemini-2.5-pro",
        "models/gemini-embedding-001",
        "models/gemini-3-pro-preview",
    ]
    assert models[0].input_token_limit == 1_048_576 and models[0].thinking is True
    assert models[2].supported_actions is not None
    assert "embedContent" in models[2].supported_actions
    assert len(fake.requests_to("/v1beta/models")) == 2
    one = await client.aio.models.get(model="gemini-2.5-pro")
    assert one.display_name == "Gemini 2.5 Pro"
