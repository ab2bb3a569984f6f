"""Streamed answers as content parts and back: what continuity stores and the cache replays.

`Transcript` folds stream events into content parts (reasoning parts with their
signatures whole, in the order their first deltas arrived); `content_events` and
`replay` turn parts back into the events `Transcript` folds into the same parts.
"""

from __future__ import annotations

from collections.abc import Iterable

from modelgate.providers.json_fields import arguments_text, tool_call
from modelgate.v1 import chat_pb2, content_pb2, stream_pb2


class Transcript:
    """Rebuilds a streamed answer's content parts, so a stream can be remembered too.

    Parts keep the order in which their first delta arrived (a reasoning part
    before the text it led to, interleaved thinking between tool calls), with
    reasoning signatures and encrypted data whole; consecutive text deltas are one part.
    """

    def __init__(self) -> None:
        self.parts: list[content_pb2.ContentPart] = []
        self.text: list[str] = []
        """Pieces of the text part being built (the last of `parts`), joined at the end."""
        self.calls: dict[int, tuple[content_pb2.ContentPart, list[str]]] = {}
        self.thoughts: dict[int, content_pb2.Reasoning] = {}

    def _close_text(self) -> None:
        if self.text:
            self.parts[-1].text = "".join(self.text)
            self.text = []

    def add(self, event: chat_pb2.StreamChatResponse) -> None:
        """Fold one stream event in."""
        kind = event.WhichOneof("event")
        if kind == "text_delta":
            if not self.text:
                self.parts.append(content_pb2.ContentPart(text=""))
            self.text.append(event.text_delta.text)
        elif kind == "tool_call_delta":
            delta = event.tool_call_delta
            entry = self.calls.get(delta.index)
            if entry is None:
                self._close_text()
                entry = (content_pb2.ContentPart(), [delta.id, delta.name])
                self.calls[delta.index] = entry
                self.parts.append(entry[0])
            fragments = entry[1]
            fragments[0] = fragments[0] or delta.id
            fragments[1] = fragments[1] or delta.name
            fragments.append(delta.arguments_json)
        elif kind == "reasoning_delta":
            self._reasoning(event.reasoning_delta)

    def _reasoning(self, delta: stream_pb2.ReasoningDelta) -> None:
        thought = self.thoughts.get(delta.index)
        if thought is None:
            self._close_text()
            part = content_pb2.ContentPart(reasoning=content_pb2.Reasoning())
            self.parts.append(part)
            thought = self.thoughts[delta.index] = part.reasoning
        thought.text += delta.text
        thought.signature = delta.signature or thought.signature
        thought.encrypted = delta.encrypted or thought.encrypted
        thought.format = delta.format or thought.format
        thought.id = delta.id or thought.id
        thought.summary = delta.summary or thought.summary

    def content(self) -> list[content_pb2.ContentPart]:
        """The answer as content parts, in the order their first deltas arrived."""
        self._close_text()
        for part, (call_id, name, *fragments) in self.calls.values():
            part.tool_call.CopyFrom(tool_call(call_id, name, "".join(fragments)))
        return self.parts


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
