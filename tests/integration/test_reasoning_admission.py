"""Reasoning options and cache breakpoints go through the unsupported-parameter policy.

A model takes them only when its catalog entry claims the capability (`reasoning`,
`prompt_caching`) and its API has a place for them; otherwise the call is refused
naming each field, or, under `unsupported_params: drop`, sent without them and the
answer says so. Echo models stand in: echo's API takes every feature (to no effect),
so only the catalog entry decides here; the APIs that lack a feature are covered
with each backend.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from google.protobuf import duration_pb2

from modelgate.config import CapabilityName, ModelConfig, RuntimeConfig
from modelgate.v1 import chat_pb2, content_pb2, generation_pb2
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import decode, user

THINK = generation_pb2.ReasoningConfig(
    effort=generation_pb2.REASONING_EFFORT_HIGH, budget_tokens=2048
)
BREAK = content_pb2.CacheBreakpoint()


@pytest.fixture(scope="module")
async def served() -> AsyncIterator[Served]:
    runtimes = {
        "echo": RuntimeConfig(kind="echo"),
        "echo-drop": RuntimeConfig(kind="echo", unsupported_params="drop"),
    }
    able: list[CapabilityName] = ["chat", "streaming", "reasoning", "prompt_caching"]
    models = [
        ModelConfig(id="thinker", runtime="echo", capabilities=able),
        ModelConfig(id="plain", runtime="echo"),
        ModelConfig(id="plain-drop", runtime="echo-drop"),
        ModelConfig(id="plain-then-thinker", runtime="echo", fallbacks=["thinker"]),
    ]
    async with serve(settings(runtimes=runtimes, models=models)) as running:
        yield running


def _request(model: str) -> chat_pb2.ChatRequest:
    system = content_pb2.Message(
        role=content_pb2.ROLE_SYSTEM,
        parts=[content_pb2.ContentPart(text="be brief")],
        cache_breakpoint=BREAK,
    )
    question = user("hello")
    question.parts[0].cache_breakpoint.CopyFrom(BREAK)
    return chat_pb2.ChatRequest(
        model=model,
        messages=[system, question],
        reasoning=THINK,
        tools=[content_pb2.Tool(name="look", cache_breakpoint=BREAK)],
    )


REFUSED_PATHS = [
    "reasoning.effort",
    "reasoning.budget_tokens",
    "messages[0].cache_breakpoint",
    "messages[1].parts[0].cache_breakpoint",
    "tools[0].cache_breakpoint",
]


async def test_a_model_whose_entry_claims_the_capabilities_takes_them(served: Served) -> None:
    answer = await served.stub.Chat(_request("thinker"))
    assert answer.model == "thinker" and "dropped_params" not in answer.metadata


async def test_a_model_without_the_capabilities_refuses_naming_every_field(
    served: Served,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(_request("plain"))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [field for field, _ in status.violations] == REFUSED_PATHS
    why = dict(status.violations)
    assert "capability `reasoning`" in why["reasoning.effort"]
    assert "capability `prompt_caching`" in why["tools[0].cache_breakpoint"]


async def test_drop_sends_without_them_and_names_them_in_the_answer(served: Served) -> None:
    answer = await served.stub.Chat(_request("plain-drop"))
    assert answer.metadata["dropped_params"] == ",".join(REFUSED_PATHS)


async def test_streams_are_admitted_the_same_way(served: Served) -> None:
    request = chat_pb2.StreamChatRequest.FromString(_request("plain-drop").SerializeToString())
    events = [event async for event in served.stub.StreamChat(request)]
    assert events[-1].end.metadata["dropped_params"] == ",".join(REFUSED_PATHS)


async def test_a_refusing_deployment_is_skipped_for_a_fallback_that_can(served: Served) -> None:
    answer = await served.stub.Chat(_request("plain-then-thinker"))
    assert answer.model == "thinker"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: setattr(r.reasoning, "budget_tokens", 0), "reasoning.budget_tokens"),
        (lambda r: setattr(r.reasoning, "effort", 99), "reasoning.effort"),
        (
            lambda r: r.messages[0].cache_breakpoint.ttl.CopyFrom(
                duration_pb2.Duration(seconds=-1)
            ),
            "messages[0].cache_breakpoint.ttl",
        ),
        (
            lambda r: r.messages[1].parts.add(reasoning=content_pb2.Reasoning(text="hm")),
            "messages[1].parts[1].reasoning",
        ),
        (
            lambda r: r.messages.add(
                role=content_pb2.ROLE_ASSISTANT, parts=[{"reasoning": content_pb2.Reasoning()}]
            ),
            "messages[2].parts[0].reasoning",
        ),
    ],
)
async def test_malformed_reasoning_fields_are_invalid_with_their_path(
    served: Served, change: object, field: str
) -> None:
    request = _request("thinker")
    change(request)  # type: ignore[operator]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(request)
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert field in [path for path, _ in status.violations]
