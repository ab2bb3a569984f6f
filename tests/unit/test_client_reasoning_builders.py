"""The client's reasoning and caching arguments become exactly the proto fields, or raise.

Nothing the caller writes is dropped: an unknown key or value name is an error
here, before any call, rather than a request without it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from modelgate.client import (
    Transcript,
    cache_breakpoint,
    message_of,
    reasoning_of,
    reasoning_text_of,
    system,
    text,
    text_of,
    tool,
    tool_result,
)
from modelgate.client._requests import prompt_cache_proto, reasoning_proto, tool_proto
from modelgate.v1 import chat_pb2, content_pb2, generation_pb2, stream_pb2

ANTHROPIC = content_pb2.REASONING_FORMAT_ANTHROPIC


def test_reasoning_dicts_name_efforts_and_keep_every_field() -> None:
    config = reasoning_proto({"effort": "minimal", "budget_tokens": 1, "include_thoughts": True})
    assert config == generation_pb2.ReasoningConfig(
        effort=generation_pb2.REASONING_EFFORT_MINIMAL, budget_tokens=1, include_thoughts=True
    )
    by_value = reasoning_proto({"effort": generation_pb2.REASONING_EFFORT_HIGH})
    assert by_value.effort == generation_pb2.REASONING_EFFORT_HIGH
    assert not by_value.HasField("budget_tokens")
    retention = prompt_cache_proto({"retention": "in_memory"}).retention
    assert retention == generation_pb2.PROMPT_CACHE_RETENTION_IN_MEMORY


@pytest.mark.parametrize(
    ("build", "value", "message"),
    [
        (reasoning_proto, {"effort": "extreme"}, "unknown effort 'extreme'; expected one of "),
        (reasoning_proto, {"budget": 10}, "unknown reasoning keys: budget"),
        (prompt_cache_proto, {"retention": "24h"}, "expected one of in_memory, extended"),
        (prompt_cache_proto, {"ttl": 1}, "unknown prompt_cache keys: ttl"),
        (tool_proto, {"name": "f", "cache": True}, "unknown tool keys: cache"),
    ],
)
def test_unknown_keys_and_names_are_refused(build: Any, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build(value)


def test_breakpoints_take_true_seconds_a_timedelta_or_the_proto() -> None:
    assert cache_breakpoint(None) is None and cache_breakpoint(False) is None
    default = cache_breakpoint(True)
    assert default is not None and not default.HasField("ttl")
    assert system("s", cache_breakpoint=True).HasField("cache_breakpoint")
    assert text("t", cache_breakpoint=300).cache_breakpoint.ttl.seconds == 300
    hour = tool("f", cache_breakpoint=timedelta(hours=1)).cache_breakpoint.ttl.seconds
    assert hour == 3600
    dict_tool = tool_proto({"name": "f", "cache_breakpoint": 1.5})
    assert dict_tool.cache_breakpoint.ttl.ToMilliseconds() == 1500
    assert tool_result("c", "ok", cache_breakpoint=True).HasField("cache_breakpoint")
    assert not system("s").HasField("cache_breakpoint")


def _thought(text: str, signature: str = "", encrypted: str = "") -> content_pb2.ContentPart:
    return content_pb2.ContentPart(
        reasoning=content_pb2.Reasoning(
            text=text, signature=signature, encrypted=encrypted, format=ANTHROPIC
        )
    )


ANSWER = chat_pb2.ChatResponse(
    content=[
        _thought("First,", signature="sig-1"),
        _thought("", encrypted="opaque"),
        content_pb2.ContentPart(text="Done."),
        content_pb2.ContentPart(tool_call=content_pb2.ToolCall(id="c1", name="f")),
        _thought("then.", signature="sig-2"),
    ]
)


def test_readers_split_reasoning_from_text_and_message_of_keeps_every_part() -> None:
    assert text_of(ANSWER) == "Done."
    assert [r.signature or r.encrypted for r in reasoning_of(ANSWER)] == [
        "sig-1",
        "opaque",
        "sig-2",
    ]
    assert reasoning_text_of(ANSWER) == "First,\n\nthen."
    turn = message_of(ANSWER)
    assert turn.role == content_pb2.ROLE_ASSISTANT and list(turn.parts) == list(ANSWER.content)


def test_a_transcript_of_text_and_reasoning_deltas_is_the_unary_answer() -> None:
    Event = chat_pb2.StreamChatResponse
    transcript = Transcript()
    for event in [
        Event(attempt=stream_pb2.AttemptStarted(attempt=1)),
        Event(reasoning_delta=stream_pb2.ReasoningDelta(index=0, text="Fir", format=ANTHROPIC)),
        Event(reasoning_delta=stream_pb2.ReasoningDelta(index=0, text="st,", format=ANTHROPIC)),
        Event(reasoning_delta=stream_pb2.ReasoningDelta(index=0, signature="sig-1")),
        Event(reasoning_delta=stream_pb2.ReasoningDelta(index=1, encrypted="opaque")),
        Event(text_delta=stream_pb2.TextDelta(text="Do")),
        Event(text_delta=stream_pb2.TextDelta(text="ne.")),
        Event(tool_call_delta=stream_pb2.ToolCallDelta(index=0, id="c1", name="f")),
        Event(reasoning_delta=stream_pb2.ReasoningDelta(index=2, text="then.", format=ANTHROPIC)),
        Event(reasoning_delta=stream_pb2.ReasoningDelta(index=2, signature="sig-2")),
        Event(end=stream_pb2.StreamEnd(id="resp-1")),
    ]:
        transcript.add(event)
    copy = chat_pb2.ChatResponse()
    copy.CopyFrom(ANSWER)
    expected = list(copy.content)
    expected[1].reasoning.format = content_pb2.REASONING_FORMAT_UNSPECIFIED  # none was streamed
    expected[3].tool_call.arguments_json = "{}"
    assert transcript.content() == expected
    assert transcript.end is not None and transcript.end.id == "resp-1"
    assert message_of(transcript).parts == transcript.message().parts
