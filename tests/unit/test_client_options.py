"""The client's keyword options are the proto's request fields: none missing, none dropped."""

from __future__ import annotations

import inspect
from typing import Any, cast

import pytest
from google.protobuf.descriptor import Descriptor

from modelgate.client import (
    AsyncModelGate,
    ChatOptions,
    CompleteOptions,
    GenerationOptions,
    ModelGate,
    json_schema,
    tool,
)
from modelgate.client.options import build_chat_request, build_complete_request
from modelgate.v1 import chat_pb2, completion_pb2, generation_pb2

POSITIONAL = {"model", "messages", "prompt"}
"""Request fields every method takes as positional arguments."""

RENAMED = {"cache_control": "cache", "metadata": "tags", "generation": "generation"}
"""Request fields whose keyword has another name: `metadata=` is gRPC call metadata."""


def _settable(descriptor: Descriptor) -> set[str]:
    return {f.name for f in descriptor.fields if not f.GetOptions().deprecated}


def test_generation_options_are_exactly_the_generation_config_fields() -> None:
    # A new GenerationConfig field fails here until GenerationOptions has it.
    assert set(GenerationOptions.__optional_keys__) == _settable(
        generation_pb2.GenerationConfig.DESCRIPTOR
    )


@pytest.mark.parametrize(
    ("options", "requests"),
    [
        (ChatOptions, [chat_pb2.ChatRequest, chat_pb2.StreamChatRequest]),
        (CompleteOptions, [completion_pb2.CompleteRequest, completion_pb2.StreamCompleteRequest]),
    ],
)
def test_every_request_field_has_a_keyword(options: Any, requests: list[Any]) -> None:
    for request in requests:
        fields = _settable(request.DESCRIPTOR) - POSITIONAL
        keywords = {RENAMED.get(name, name) for name in fields}
        assert keywords <= set(options.__optional_keys__), request.DESCRIPTOR.name


SAMPLES: dict[str, Any] = {
    "temperature": 0.5,
    "top_p": 0.9,
    "top_k": 7,
    "max_output_tokens": 11,
    "stop_sequences": ["END"],
    "presence_penalty": 0.25,
    "frequency_penalty": 0.75,
    "seed": 42,
    "extra_json": {"reasoning_effort": "low"},
    "cache": "bypass",
    "tags": {"team": "search"},
    "user": "u-1",
    "system": "be brief",
    "tools": [tool("f", "a tool", {"type": "object"})],
    "tool_choice": "required",
    "response_format": json_schema({"type": "object"}),
    "previous_response_id": "resp-1",
    "reasoning": {"effort": "high", "budget_tokens": 2048, "include_thoughts": True},
    "prompt_cache": {"key": "tenant-7", "retention": "extended"},
    "prompt_template": {"id": "greet", "version": 2, "variables": {"name": "Ada"}},
    "suffix": "tail",
}


def _unset(message: Any) -> list[str]:
    """Fields of `message` left at their defaults, nested messages included."""
    missing = []
    for field in message.DESCRIPTOR.fields:
        if field.GetOptions().deprecated or field.name in POSITIONAL:
            continue
        if field.is_repeated:
            if not getattr(message, field.name):
                missing.append(field.name)
        elif (
            not message.HasField(field.name)
            if field.has_presence
            else not getattr(message, field.name)
        ):
            missing.append(field.name)
    return missing


def test_every_keyword_reaches_its_request_field() -> None:
    # A keyword the TypedDict has but the builder forgets would be silently lost.
    chat_keys = set(ChatOptions.__optional_keys__) - {"generation"}
    chat_options = cast(ChatOptions, {k: SAMPLES[k] for k in chat_keys})
    chat = build_chat_request(chat_pb2.ChatRequest, "m", "hi", chat_options, "chat")
    assert _unset(chat) == []
    assert _unset(chat.generation) == []
    assert chat.messages[0].role != chat.messages[1].role  # the system message comes first
    complete_keys = set(CompleteOptions.__optional_keys__) - {"generation"}
    complete_options = cast(CompleteOptions, {k: SAMPLES[k] for k in complete_keys})
    complete = build_complete_request(
        completion_pb2.CompleteRequest, "m", "p", complete_options, "complete"
    )
    assert _unset(complete) == []
    assert complete.generation == chat.generation


def test_keywords_override_the_generation_base() -> None:
    base = generation_pb2.GenerationConfig(temperature=1.0, top_k=3, stop_sequences=["a", "b"])
    request = build_chat_request(
        chat_pb2.ChatRequest,
        "m",
        "hi",
        {"generation": base, "temperature": 0.0, "stop_sequences": "c"},
        "chat",
    )
    assert request.generation.HasField("temperature") and request.generation.temperature == 0.0
    assert request.generation.top_k == 3
    assert list(request.generation.stop_sequences) == ["c"]
    assert base.temperature == 1.0  # the caller's base is copied, not changed


def test_a_misspelled_keyword_raises_like_any_python_call() -> None:
    unexpected = "chat\\(\\) got an unexpected keyword argument 'temprature'"
    with pytest.raises(TypeError, match=unexpected):
        build_chat_request(chat_pb2.ChatRequest, "m", "hi", {"temprature": 0.2}, "chat")  # type: ignore[typeddict-unknown-key]
    with pytest.raises(TypeError, match="'tools'"):
        not_complete_options: Any = {"tools": []}
        build_complete_request(
            completion_pb2.CompleteRequest, "m", "p", not_complete_options, "complete"
        )


@pytest.mark.parametrize(("old", "new"), [("stop", "stop_sequences"), ("extra", "extra_json")])
def test_old_keyword_names_still_work_for_one_release_with_a_warning(old: str, new: str) -> None:
    value: Any = SAMPLES[new]
    with pytest.warns(DeprecationWarning, match=f"`{old}` keyword is deprecated, use `{new}`"):
        request = build_chat_request(chat_pb2.ChatRequest, "m", "hi", {old: value}, "chat")  # type: ignore[misc]
    expected = build_chat_request(chat_pb2.ChatRequest, "m", "hi", {new: value}, "chat")  # type: ignore[misc]
    assert request == expected
    with pytest.raises(TypeError, match="both"), pytest.warns(DeprecationWarning):
        build_chat_request(chat_pb2.ChatRequest, "m", "hi", {old: value, new: value}, "chat")  # type: ignore[misc]


@pytest.mark.parametrize("client", [AsyncModelGate, ModelGate])
@pytest.mark.parametrize(
    ("method", "options"),
    [
        ("chat", ChatOptions),
        ("stream_chat", ChatOptions),
        ("stream_text", ChatOptions),
        ("complete", CompleteOptions),
        ("stream_complete", CompleteOptions),
    ],
)
def test_generating_methods_take_the_shared_options(
    client: type, method: str, options: Any
) -> None:
    parameters = inspect.signature(getattr(client, method)).parameters
    var_keyword = [p for p in parameters.values() if p.kind is p.VAR_KEYWORD]
    assert [p.annotation for p in var_keyword] == [f"Unpack[{options.__name__}]"]
    # No option is spelled out as a parameter of its own next to the shared set.
    assert not set(parameters) & set(options.__optional_keys__)
