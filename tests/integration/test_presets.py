"""Each preset's quirks, proved against a fake that refuses what the provider refuses.

The runtimes name their preset and write only `base_url` (pointing at the fake) and
`api_key`, so everything else (parameter names, headers, paths, message rules) comes
from the preset row; the fake answers 4xx exactly where the real provider would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from modelgate.config import CapabilityName, ModelConfig, RuntimeConfig
from modelgate.v1 import chat_pb2, content_pb2, embedding_pb2, generation_pb2, model_pb2
from tests.fakes.compatible_quirks import AZURE_API_VERSION, MISTRAL_CALL_ID, CompatibleQuirks
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request, decode, user

KEY = "sk-preset-test-0123456789"
AZURE_KEY = "azure-key-0123456789"
CHAT: list[CapabilityName] = ["chat", "streaming", "tools"]
PREFIXES = {
    "deepseek": "/deepseek/v1",
    "mistral": "/mistral/v1",
    "groq": "/groq/v1",
    "together": "/together/v1",
    "fireworks": "/fireworks/v1",
    "openrouter": "/openrouter/api/v1",
    "xai": "/xai/v1",
    "vllm": "/vllm/v1",
    "llamacpp": "/llamacpp/v1",
    "huggingface_tei": "/tei/v1",
}


def _runtime(fake: CompatibleQuirks, preset: str, **fields: Any) -> RuntimeConfig:
    return RuntimeConfig(
        kind="openai_compatible",
        preset=preset,
        base_url=fake.url + PREFIXES[preset],
        api_key=KEY,
        **fields,
    )


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[CompatibleQuirks]:
    async with CompatibleQuirks(AZURE_KEY) as running:
        yield running


@pytest.fixture(scope="module")
async def served(fake: CompatibleQuirks) -> AsyncIterator[Served]:
    runtimes = {name: _runtime(fake, name) for name in PREFIXES if name != "openrouter"}
    runtimes["openrouter"] = _runtime(
        fake, "openrouter", headers={"HTTP-Referer": "https://app.example"}
    )
    runtimes["vllm"] = _runtime(fake, "vllm", discover=True)
    runtimes["llamacpp"] = _runtime(fake, "llamacpp", discover=True)
    runtimes["azure"] = RuntimeConfig(
        kind="openai_compatible",
        preset="azure_openai",
        base_url=fake.url + "/azure",
        api_key=AZURE_KEY,
    )
    models = [
        ModelConfig(id=name, runtime=name, upstream_name=f"{name}-model", capabilities=CHAT)
        for name in runtimes
        if name not in ("huggingface_tei", "azure")
    ]
    models += [
        ModelConfig(id="azure", runtime="azure", upstream_name="gpt-4o-prod", capabilities=CHAT),
        ModelConfig(id="tei", runtime="huggingface_tei", capabilities=["embedding"]),
    ]
    async with serve(settings(runtimes=runtimes, models=models)) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(fake: CompatibleQuirks) -> None:
    fake.seen.clear()
    fake.tool_call = False


async def _stream(served: Served, request: chat_pb2.ChatRequest) -> list[Any]:
    streamed = chat_pb2.StreamChatRequest(model=request.model, messages=request.messages)
    streamed.generation.CopyFrom(request.generation)
    return [event async for event in served.stub.StreamChat(streamed, timeout=20)]


async def _refused(served: Served, request: chat_pb2.ChatRequest) -> Any:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(request, timeout=20)
    return decode(caught.value)


def _tool_turns(call_id: str) -> list[content_pb2.Message]:
    """A history with one tool call (as another provider named it) and its result."""
    call = content_pb2.ToolCall(id=call_id, name="lookup", arguments_json='{"q":"x"}')
    result = content_pb2.ToolResult(tool_call_id=call_id, text="42")
    return [
        user("look it up"),
        content_pb2.Message(
            role=content_pb2.ROLE_ASSISTANT, parts=[content_pb2.ContentPart(tool_call=call)]
        ),
        content_pb2.Message(
            role=content_pb2.ROLE_TOOL, parts=[content_pb2.ContentPart(tool_result=result)]
        ),
    ]


# ---------------------------------------------------------------------------- DeepSeek
async def test_deepseek_cache_hits_become_cached_input_tokens(served: Served) -> None:
    answer = await served.stub.Chat(chat_request("deepseek", "hi"), timeout=20)
    assert answer.usage.input_tokens == 12
    assert answer.usage.cached_input_tokens == 8


async def test_deepseek_has_no_seed_so_a_seed_is_refused_before_any_call(
    served: Served, fake: CompatibleQuirks
) -> None:
    request = chat_request("deepseek", "hi", generation=generation_pb2.GenerationConfig(seed=7))
    status = await _refused(served, request)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [field for field, _ in status.violations] == ["generation.seed"]
    assert fake.sent("deepseek") == []


# ----------------------------------------------------------------------------- Mistral
async def test_mistral_takes_the_seed_as_random_seed(
    served: Served, fake: CompatibleQuirks
) -> None:
    request = chat_request("mistral", "hi", generation=generation_pb2.GenerationConfig(seed=7))
    await served.stub.Chat(request, timeout=20)
    [sent] = fake.sent("mistral")
    assert sent.body["random_seed"] == 7
    assert "seed" not in sent.body


async def test_mistral_streams_without_stream_options_and_still_counts_usage(
    served: Served, fake: CompatibleQuirks
) -> None:
    events = await _stream(served, chat_request("mistral", "hi"))
    assert events[-1].end.usage.total_tokens == 15
    [sent] = fake.sent("mistral")
    assert sent.body["stream"] is True and "stream_options" not in sent.body


async def test_mistral_gets_nine_character_tool_call_ids_that_still_pair_up(
    served: Served, fake: CompatibleQuirks
) -> None:
    request = chat_pb2.ChatRequest(model="mistral", messages=_tool_turns("call_7f3a9c0d2e1b"))
    await served.stub.Chat(request, timeout=20)
    [sent] = fake.sent("mistral")
    [assistant, tool] = sent.body["messages"][1:]
    new_id = assistant["tool_calls"][0]["id"]
    assert len(new_id) == 9 and new_id.isalnum()
    assert tool["tool_call_id"] == new_id


async def test_mistral_tool_call_ids_of_its_own_pass_unchanged(
    served: Served, fake: CompatibleQuirks
) -> None:
    fake.tool_call = True
    answer = await served.stub.Chat(chat_request("mistral", "look it up"), timeout=20)
    [part] = answer.content
    assert part.tool_call.id == MISTRAL_CALL_ID
    fake.tool_call = False
    await served.stub.Chat(
        chat_pb2.ChatRequest(model="mistral", messages=_tool_turns(MISTRAL_CALL_ID)),
        timeout=20,
    )
    assert fake.sent("mistral")[-1].body["messages"][1]["tool_calls"][0]["id"] == MISTRAL_CALL_ID


async def test_mistral_safe_prompt_passes_as_an_extra(
    served: Served, fake: CompatibleQuirks
) -> None:
    generation = generation_pb2.GenerationConfig(extra_json='{"safe_prompt": true}')
    await served.stub.Chat(chat_request("mistral", "hi", generation=generation), timeout=20)
    assert fake.sent("mistral")[0].body["safe_prompt"] is True


async def test_mistral_422_error_shape_is_a_bad_request_carrying_its_detail(
    served: Served,
) -> None:
    generation = generation_pb2.GenerationConfig(extra_json='{"logit_bias": {}}')
    status = await _refused(served, chat_request("mistral", "hi", generation=generation))
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert status.metadata["http_status"] == "422"
    assert "Extra inputs are not permitted" in status.message


@pytest.mark.parametrize("model", ["mistral", "groq"])
async def test_message_names_are_refused_where_the_provider_refuses_them(
    served: Served, fake: CompatibleQuirks, model: str
) -> None:
    named = content_pb2.Message(
        role=content_pb2.ROLE_USER, name="ann", parts=[content_pb2.ContentPart(text="hi")]
    )
    status = await _refused(served, chat_pb2.ChatRequest(model=model, messages=[named]))
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [field for field, _ in status.violations] == ["messages[0].name"]
    assert fake.sent(model) == []


# ------------------------------------------------------- top_k and sampling extras
@pytest.mark.parametrize("model", ["together", "fireworks", "openrouter", "vllm", "llamacpp"])
async def test_top_k_and_sampling_extras_reach_providers_that_take_them(
    served: Served, fake: CompatibleQuirks, model: str
) -> None:
    extras = '{"min_p": 0.05, "repetition_penalty": 1.1}'
    generation = generation_pb2.GenerationConfig(top_k=20, extra_json=extras)
    await served.stub.Chat(chat_request(model, "hi", generation=generation), timeout=20)
    [sent] = fake.sent(model)
    assert (sent.body["top_k"], sent.body["min_p"], sent.body["repetition_penalty"]) == (
        20,
        0.05,
        1.1,
    )


@pytest.mark.parametrize("model", ["deepseek", "mistral", "groq", "xai", "azure"])
async def test_top_k_is_refused_where_the_provider_has_none(
    served: Served, fake: CompatibleQuirks, model: str
) -> None:
    request = chat_request(model, "hi", generation=generation_pb2.GenerationConfig(top_k=20))
    status = await _refused(served, request)
    assert [field for field, _ in status.violations] == ["generation.top_k"]
    assert [seen for seen in fake.seen if seen.method == "POST"] == []


# --------------------------------------------------------------------------- OpenRouter
async def test_openrouter_gets_its_attribution_headers_and_routing_extras(
    served: Served, fake: CompatibleQuirks
) -> None:
    routing = '{"provider": {"order": ["groq"], "allow_fallbacks": false}}'
    generation = generation_pb2.GenerationConfig(extra_json=routing)
    await served.stub.Chat(chat_request("openrouter", "hi", generation=generation), timeout=20)
    [sent] = fake.sent("openrouter")
    assert sent.path == "api/v1/chat/completions"
    assert sent.headers["x-title"] == "modelgate"
    assert sent.headers["http-referer"] == "https://app.example"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.body["provider"] == {"order": ["groq"], "allow_fallbacks": False}


# ------------------------------------------------------------------- vLLM, llama.cpp
@pytest.mark.parametrize(("runtime", "model", "window"), [
    ("vllm", "Qwen/Qwen3-8B", 32768),
    ("llamacpp", "qwen3-0.6b", 40960),
])  # fmt: skip
async def test_local_servers_publish_their_context_window_in_v1_models(
    served: Served, runtime: str, model: str, window: int
) -> None:
    listed = await served.stub.ListModels(model_pb2.ListModelsRequest(), timeout=20)
    [record] = [m for m in listed.models if m.id == f"{model}@{runtime}"]
    assert record.context_window == window


# ---------------------------------------------------------------------- Hugging Face TEI
async def test_tei_serves_embeddings_on_its_openai_route(
    served: Served, fake: CompatibleQuirks
) -> None:
    answer = await served.stub.Embed(
        embedding_pb2.EmbedRequest(model="tei", inputs=["a", "b"]), timeout=20
    )
    assert len(answer.embeddings) == 2
    [sent] = fake.sent("tei")
    assert sent.path == "v1/embeddings"


# ------------------------------------------------------------------------ Azure OpenAI
@pytest.mark.parametrize("stream", [False, True])
async def test_azure_calls_the_deployment_url_with_api_version_and_api_key(
    served: Served, fake: CompatibleQuirks, stream: bool
) -> None:
    request = chat_request("azure", "hi")
    if stream:
        events = await _stream(served, request)
        assert events[-1].end.usage.total_tokens == 15
    else:
        answer = await served.stub.Chat(request, timeout=20)
        assert answer.content[0].text == "Hello!"
    [sent] = fake.sent("azure")
    assert sent.path == "openai/deployments/gpt-4o-prod/chat/completions"
    assert sent.query == {"api-version": AZURE_API_VERSION}
    assert sent.headers["api-key"] == AZURE_KEY
    assert "authorization" not in sent.headers
