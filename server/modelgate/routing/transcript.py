"""Streamed answers as content parts and back: what continuity stores and the cache replays.

`Transcript` folds stream events into content parts (reasoning parts with their
signatures whole, in the order their first deltas arrived); `content_events` and
`replay` turn parts back into the events `Transcript` folds into the same parts.
"""

from __future__ import annotations

from collections.abc import Iterable

from typing_extensions import override

from modelgate.client.transcript import Transcript as ClientTranscript
from modelgate.providers.json_fields import arguments_text, tool_call
from modelgate.v1 import chat_pb2, content_pb2, stream_pb2


class Transcript(ClientTranscript):
    """The client's stream folding (one source: `modelgate.client.transcript`), with tool
    calls normalized as unary answers carry them: arguments that are not a JSON object
    kept verbatim under `_raw_arguments`, and the deprecated Struct copy filled."""

    @override
    def tool_call(self, call_id: str, name: str, arguments_json: str) -> content_pb2.ToolCall:
        return tool_call(call_id, name, arguments_json)


def content_events(parts: Iterable[content_pb2.ContentPart]) -> list[chat_pb2.StreamChatResponse]:
    """Content parts as stream events in content order: each text part one delta, each
    tool call and reasoning part whole (what `Transcript` folds back into the same parts)."""
    Event = chat_pb2.StreamChatResponse
    events: list[chat_pb2.StreamChatResponse] = []
    calls = thoughts = 0
    for part in parts:
        kind = part.WhichOneof("data")
        if kind == "text" and part.text:
            events.append(Event(text_delta=stream_pb2.TextDelta(text=part.text)))
        elif kind == "tool_call":
            call = part.tool_call
            delta = stream_pb2.ToolCallDelta(
                index=calls, id=call.id, name=call.name, arguments_json=arguments_text(call)
            )
            events.append(Event(tool_call_delta=delta))
            calls += 1
        elif kind == "reasoning":
            events.append(Event(reasoning_delta=reasoning_delta(thoughts, part.reasoning)))
            thoughts += 1
    return events


def reasoning_delta(index: int, thought: content_pb2.Reasoning) -> stream_pb2.ReasoningDelta:
    """A whole reasoning part as one delta."""
    return stream_pb2.ReasoningDelta(
        index=index,
        text=thought.text,
        signature=thought.signature,
        encrypted=thought.encrypted,
        format=thought.format,
        id=thought.id,
        summary=thought.summary,
    )


def replay(response: chat_pb2.ChatResponse) -> list[chat_pb2.StreamChatResponse]:
    """A cached unary answer as stream events (see `content_events`)."""
    Event = chat_pb2.StreamChatResponse
    # The contract promises an attempt event first; a replay is the cache's "attempt".
    events = [
        Event(
            attempt=stream_pb2.AttemptStarted(
                attempt=1,
                kind=stream_pb2.ATTEMPT_KIND_FIRST,
                model=response.model,
                provider=response.provider,
                runtime=response.runtime,
            )
        )
    ]
    events += content_events(response.content)
    end = stream_pb2.StreamEnd(
        id=response.id,
        model=response.model,
        provider=response.provider,
        runtime=response.runtime,
        finish_reason=response.finish_reason,
        raw_finish_reason=response.raw_finish_reason,
        usage=response.usage,
        cost=response.cost,
        metadata=response.metadata,
        provider_response_id=response.provider_response_id,
    )
    if response.HasField("structured_output"):
        end.structured_output.CopyFrom(response.structured_output)
    end.structured_output_json = response.structured_output_json
    events.append(Event(end=end))
    return events
