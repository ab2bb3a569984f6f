"""The client's message dicts become exactly the proto fields they name, or raise.

House rule "no silent loss": a key the caller wrote in a message dict is used, or
refused with an error naming it and the keys a message dict accepts.
"""

from __future__ import annotations

from typing import Any

import pytest

from modelgate.client.messages import to_message
from modelgate.client.options import build_chat_request
from modelgate.v1 import chat_pb2


def test_a_message_dict_keeps_its_cache_breakpoint() -> None:
    marked = to_message({"role": "system", "content": "long rules", "cache_breakpoint": 300})
    assert marked.HasField("cache_breakpoint")
    assert marked.cache_breakpoint.ttl.ToSeconds() == 300
    result = to_message(
        {"role": "tool", "tool_call_id": "c1", "content": "42", "cache_breakpoint": True}
    )
    assert result.HasField("cache_breakpoint")
    assert result.parts[0].tool_result.tool_call_id == "c1"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            {"role": "user", "content": "hi", "cache": True},
            "unknown message keys: cache; accepted: cache_breakpoint, content, name, role, "
            "tool_call_id",
        ),
        (
            {"role": "assistant", "content": "x", "tool_calls": [], "reasoning": "y"},
            "unknown message keys: reasoning, tool_calls; accepted: ",
        ),
        (
            {"role": "user", "content": "hi", "tool_call_id": "c1"},
            "'tool_call_id' is only for a 'tool' message",
        ),
    ],
)
def test_a_message_dict_refuses_keys_it_would_drop(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        to_message(value)


def test_a_message_dict_refuses_a_mapping_as_content() -> None:
    """A dict's keys would otherwise become text parts, its values lost."""
    with pytest.raises(TypeError, match="content is text or a list of parts, not a mapping"):
        to_message({"role": "user", "content": {"text": "hi"}})
    with pytest.raises(TypeError, match="content is text or a list of parts, not a mapping"):
        to_message(("user", {"text": "hi"}))  # type: ignore[arg-type]


def test_a_request_with_a_bad_message_dict_is_refused_before_any_call() -> None:
    with pytest.raises(ValueError, match="unknown message keys: tool_calls"):
        build_chat_request(
            chat_pb2.ChatRequest,
            "echo",
            [{"role": "assistant", "content": "x", "tool_calls": []}],
            {},
            "chat",
        )
