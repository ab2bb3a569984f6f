"""Prompt templates of the catalog, through a real gateway on the echo default.

Echo answers the last user text, so a rendered user message comes back as the answer.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import grpc
import pytest

from modelgate.config import PromptConfig
from modelgate.v1 import chat_pb2, prompt_pb2
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import decode, text_of, user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub

SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "count": {"type": "integer"}},
    "required": ["name"],
}


def _prompt(prompt_id: str, version: int, content: str, **extra: Any) -> PromptConfig:
    return PromptConfig.model_validate(
        {
            "id": prompt_id,
            "version": version,
            "description": f"{prompt_id} v{version}",
            "messages": [
                {"role": "system", "content": "You greet people."},
                {"role": "user", "content": content},
            ],
            **extra,
        }
    )


PROMPTS = [
    _prompt("greet", 1, "Hi {{ name }}", variables_schema=SCHEMA, model="echo"),
    _prompt(
        "greet",
        2,
        "Hello {{ name }}{% if count is defined %} x{{ count }}{% endif %}",
        variables_schema=SCHEMA,
        model="echo",
        generation={"maxOutputTokens": 3},
    ),
    _prompt("escape", 1, "{{ ''.__class__.__mro__ }}", model="echo"),
    _prompt("globals", 1, "{{ cycler.__init__.__globals__ }}", model="echo"),
    _prompt("plain", 1, "say {{ word }}"),
]


@pytest.fixture(scope="module")
async def served() -> AsyncIterator[Served]:
    async with serve(settings(echo=True, prompts=PROMPTS)) as running:
        yield running


@pytest.fixture
def stub(served: Served) -> ModelGatewayAsyncStub:
    return served.stub


def _ref(prompt_id: str, version: int = 0, /, **variables: Any) -> prompt_pb2.PromptRef:
    return prompt_pb2.PromptRef(id=prompt_id, version=version, variables_json=json.dumps(variables))


async def test_chat_renders_the_latest_version_with_its_defaults(
    stub: ModelGatewayAsyncStub,
) -> None:
    request = chat_pb2.ChatRequest(prompt_template=_ref("greet", name="Ada"))
    reply = await stub.Chat(request, timeout=10)
    assert reply.model == "echo"  # the template's default model
    assert text_of(reply) == "Hello Ada"  # version 2; echo answers the last user text


async def test_an_explicit_version_is_rendered(stub: ModelGatewayAsyncStub) -> None:
    request = chat_pb2.ChatRequest(prompt_template=_ref("greet", 1, name="Ada"))
    assert text_of(await stub.Chat(request, timeout=10)) == "Hi Ada"


async def test_the_template_default_fills_only_unset_generation(
    stub: ModelGatewayAsyncStub,
) -> None:
    variables: dict[str, Any] = {"name": "a b c d e f"}
    capped = chat_pb2.ChatRequest(prompt_template=_ref("greet", **variables))
    assert text_of(await stub.Chat(capped, timeout=10)) == "Hello a b "  # 3 echo tokens
    free = chat_pb2.ChatRequest(prompt_template=_ref("greet", **variables))
    free.generation.max_output_tokens = 100
    assert text_of(await stub.Chat(free, timeout=10)) == "Hello a b c d e f"


async def test_the_callers_messages_follow_the_rendered_ones(stub: ModelGatewayAsyncStub) -> None:
    request = chat_pb2.ChatRequest(prompt_template=_ref("greet", name="Ada"))
    request.messages.append(user("and then?"))
    assert text_of(await stub.Chat(request, timeout=10)) == "and then?"


async def test_stream_chat_renders_the_template(stub: ModelGatewayAsyncStub) -> None:
    request = chat_pb2.StreamChatRequest(prompt_template=_ref("greet", name="Bo", count=2))
    text = ""
    async for event in stub.StreamChat(request, timeout=10):
        if event.HasField("text_delta"):
            text += event.text_delta.text
    assert text == "Hello Bo x2"


async def test_a_missing_variable_is_invalid_argument_naming_it(
    stub: ModelGatewayAsyncStub,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(chat_pb2.ChatRequest(prompt_template=_ref("greet")), timeout=10)
    error = decode(caught.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.violations == [("prompt_template.variables.name", "is required")]


async def test_a_name_the_template_reads_but_the_schema_omits_is_named(
    stub: ModelGatewayAsyncStub,
) -> None:
    request = chat_pb2.ChatRequest(model="echo", prompt_template=_ref("plain"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(request, timeout=10)
    error = decode(caught.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.violations == [("prompt_template.variables.word", "is required by the template")]


async def test_a_wrong_type_names_the_variables_path(stub: ModelGatewayAsyncStub) -> None:
    request = chat_pb2.StreamChatRequest(prompt_template=_ref("greet", name="Ada", count="two"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.StreamChat(request, timeout=10).read()
    error = decode(caught.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [path for path, _ in error.violations] == ["prompt_template.variables.count"]


@pytest.mark.parametrize(("prompt_id", "version"), [("nope", 0), ("greet", 7)])
async def test_an_unknown_prompt_or_version_is_not_found(
    stub: ModelGatewayAsyncStub, prompt_id: str, version: int
) -> None:
    request = chat_pb2.ChatRequest(prompt_template=_ref(prompt_id, version, name="x"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(request, timeout=10)
    error = decode(caught.value)
    assert error.code == grpc.StatusCode.NOT_FOUND
    assert error.reason == "PROMPT_NOT_FOUND"
    assert error.metadata == {"prompt": prompt_id, "version": str(version)}


@pytest.mark.parametrize("prompt_id", ["escape", "globals"])
async def test_a_template_cannot_reach_python_objects(
    stub: ModelGatewayAsyncStub, prompt_id: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(chat_pb2.ChatRequest(prompt_template=_ref(prompt_id)), timeout=10)
    error = decode(caught.value)
    assert error.code == grpc.StatusCode.FAILED_PRECONDITION
    assert error.reason == "PROMPT_RENDER_FAILED"
    assert "unsafe" in error.message
    assert "object" not in error.metadata.get("prompt", "")


async def test_a_variable_is_data_never_rendered_again(stub: ModelGatewayAsyncStub) -> None:
    request = chat_pb2.ChatRequest(
        prompt_template=_ref("greet", 1, name="{{ ''.__class__.__mro__ }}{{ 7 * 7 }}")
    )
    assert text_of(await stub.Chat(request, timeout=10)) == (
        "Hi {{ ''.__class__.__mro__ }}{{ 7 * 7 }}"
    )


async def test_list_prompts_shows_every_version_a_page_at_a_time(
    stub: ModelGatewayAsyncStub,
) -> None:
    seen: list[tuple[str, int]] = []
    token = ""
    for _ in range(10):
        page = await stub.ListPrompts(
            prompt_pb2.ListPromptsRequest(page_size=2, page_token=token), timeout=10
        )
        assert page.total_size == len(PROMPTS)
        seen += [(p.id, p.version) for p in page.prompts]
        token = page.next_page_token
        if not token:
            break
    assert seen == [("escape", 1), ("globals", 1), ("greet", 1), ("greet", 2), ("plain", 1)]


async def test_get_prompt_returns_the_latest_or_the_version_asked(
    stub: ModelGatewayAsyncStub,
) -> None:
    latest = (await stub.GetPrompt(prompt_pb2.GetPromptRequest(id="greet"), timeout=10)).prompt
    assert (latest.version, latest.defaults.model) == (2, "echo")
    assert latest.defaults.generation.max_output_tokens == 3
    assert json.loads(latest.variables_schema_json) == SCHEMA
    first = await stub.GetPrompt(prompt_pb2.GetPromptRequest(id="greet", version=1), timeout=10)
    assert first.prompt.messages[1].parts[0].text == "Hi {{ name }}"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetPrompt(prompt_pb2.GetPromptRequest(id="greet", version=9), timeout=10)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_without_a_model_or_a_default_the_model_is_required(
    stub: ModelGatewayAsyncStub,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(chat_pb2.ChatRequest(prompt_template=_ref("plain", word="x")), timeout=10)
    error = decode(caught.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [path for path, _ in error.violations] == ["model"]
