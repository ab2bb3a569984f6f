"""A streamed chat answer folded back into the content parts of the unary answer.

One source for the client and the gateway: a caller continuing a conversation
after `stream_chat` sends back exactly what the gateway's conversation store
keeps for the same stream (`modelgate.routing.memory.Transcript` builds on
this class). Reasoning parts must come back whole, signatures and encrypted
data byte for byte, in their place: Anthropic refuses a tool-use loop whose
thinking blocks come back changed.

    transcript = Transcript()
    async for event in client.stream_chat("claude", messages, tools=tools):
        transcript.add(event)
    messages.append(transcript.message())
"""

from __future__ import annotations

from modelgate.v1 import chat_pb2, content_pb2, stream_pb2

__all__ = ["ReasoningText", "Transcript"]


class ReasoningText(str):
    """A piece of the model's reasoning, as `stream_text(..., include_reasoning=True)`
    yields it among the answer's text pieces (plain `str`): tell them apart with
    `isinstance(piece, ReasoningText)`."""

    __slots__ = ()


class Transcript:
    """Rebuilds a streamed answer's content parts from StreamChat events.

    Parts keep the order in which their first delta arrived (a reasoning part
    before the text it led to, interleaved thinking between tool calls), with
    reasoning signatures and encrypted data whole; consecutive text deltas are
    one part. `end` holds the stream's `StreamEnd` once it was added.
    """

    def __init__(self) -> None:
        self.parts: list[content_pb2.ContentPart] = []
        self.end: stream_pb2.StreamEnd | None = None
        self._text: list[str] = []
        """Pieces of the text part being built (the last of `parts`), joined at the end."""
        self._calls: dict[int, tuple[content_pb2.ContentPart, list[str]]] = {}
        self._thoughts: dict[int, content_pb2.Reasoning] = {}

    def _close_text(self) -> None:
        if self._text:
            self.parts[-1].text = "".join(self._text)
            self._text = []

    def add(self, event: chat_pb2.StreamChatResponse) -> None:
        """Fold one stream event in (attempt events carry no content)."""
        kind = event.WhichOneof("event")
        if kind == "text_delta":
            if not self._text:
                self.parts.append(content_pb2.ContentPart(text=""))
            self._text.append(event.text_delta.text)
        elif kind == "tool_call_delta":
            delta = event.tool_call_delta
            entry = self._calls.get(delta.index)
            if entry is None:
                self._close_text()
                entry = (content_pb2.ContentPart(), [delta.id, delta.name])
                self._calls[delta.index] = entry
                self.parts.append(entry[0])
            fragments = entry[1]
            fragments[0] = fragments[0] or delta.id
            fragments[1] = fragments[1] or delta.name
            fragments.append(delta.arguments_json)
        elif kind == "reasoning_delta":
            self._reasoning(event.reasoning_delta)
        elif kind == "end":
            self.end = event.end

    def _reasoning(self, delta: stream_pb2.ReasoningDelta) -> None:
        thought = self._thoughts.get(delta.index)
        if thought is None:
            self._close_text()
            part = content_pb2.ContentPart(reasoning=content_pb2.Reasoning())
            self.parts.append(part)
            thought = self._thoughts[delta.index] = part.reasoning
        thought.text += delta.text
        thought.signature = delta.signature or thought.signature
        thought.encrypted = delta.encrypted or thought.encrypted
        thought.format = delta.format or thought.format
        thought.id = delta.id or thought.id
        thought.summary = delta.summary or thought.summary

    def tool_call(self, call_id: str, name: str, arguments_json: str) -> content_pb2.ToolCall:
        """A tool call from its streamed pieces: the arguments as the model wrote them."""
        return content_pb2.ToolCall(id=call_id, name=name, arguments_json=arguments_json or "{}")

    def content(self) -> list[content_pb2.ContentPart]:
        """The answer as content parts, in the order their first deltas arrived."""
        self._close_text()
        for part, (call_id, name, *fragments) in self._calls.values():
            part.tool_call.CopyFrom(self.tool_call(call_id, name, "".join(fragments)))
        return self.parts

    def message(self) -> content_pb2.Message:
        """The answer as an assistant message, to send back as the conversation's next turn."""
        return content_pb2.Message(role=content_pb2.ROLE_ASSISTANT, parts=self.content())
