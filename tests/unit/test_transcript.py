"""A streamed answer folds back into the content parts of the unary answer, reasoning included.

What the conversation store keeps for `previous_response_id` and what a cached answer
replays as a stream must be the same parts in the same order, with every signature
and encrypted blob whole: Anthropic refuses a tool-use loop whose thinking blocks
come back changed.
"""

from __future__ import annotations

from modelgate.providers.json_fields import tool_call
from modelgate.routing.transcript import Transcript, content_events
from modelgate.v1 import chat_pb2, content_pb2, stream_pb2

ANTHROPIC = content_pb2.REASONING_FORMAT_ANTHROPIC


def _thought(text: str, signature: str = "", encrypted: str = "") -> content_pb2.ContentPart:
    return content_pb2.ContentPart(
        reasoning=content_pb2.Reasoning(
            text=text, signature=signature, encrypted=encrypted, format=ANTHROPIC
        )
    )


ANSWER = [
    _thought("Let me think.", signature="EqQBCkYIARgCKkBsig=="),
    _thought("", encrypted="EmwKAhgBEgy3redacted"),
    content_pb2.ContentPart(text="I will look it up."),
    content_pb2.ContentPart(tool_call=tool_call("toolu_1", "look", '{"q": 1}')),
    _thought("Now the second call.", signature="sig-2"),
    content_pb2.ContentPart(tool_call=tool_call("toolu_2", "look", "{}")),
]


def test_replayed_events_fold_back_into_the_same_parts() -> None:
    transcript = Transcript()
    for event in content_events(ANSWER):
        transcript.add(event)
    assert transcript.content() == ANSWER


def test_reasoning_deltas_build_one_part_with_the_signature_from_the_last_delta() -> None:
    Event = chat_pb2.StreamChatResponse
    transcript = Transcript()
    for event in [
        Event(reasoning_delta=stream_pb2.ReasoningDelta(index=0, text="Let me ", format=ANTHROPIC)),
        Event(reasoning_delta=stream_pb2.ReasoningDelta(index=0, text="think.", format=ANTHROPIC)),
        Event(
            reasoning_delta=stream_pb2.ReasoningDelta(
                index=0, signature="EqQBCkYIARgCKkBsig==", format=ANTHROPIC
            )
        ),
        Event(text_delta=stream_pb2.TextDelta(text="Four")),
        Event(text_delta=stream_pb2.TextDelta(text=".")),
    ]:
        transcript.add(event)
    assert transcript.content() == [
        _thought("Let me think.", signature="EqQBCkYIARgCKkBsig=="),
        content_pb2.ContentPart(text="Four."),
    ]


def test_reasoning_is_never_folded_into_the_text() -> None:
    events = content_events(ANSWER)
    text = "".join(e.text_delta.text for e in events if e.HasField("text_delta"))
    assert text == "I will look it up."
