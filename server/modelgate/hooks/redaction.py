"""The worked example hook: redact e-mail addresses and credentials before they leave.

Every text a caller sends (chat message text, a completion's prompt and suffix,
embedding inputs) is scrubbed with regular expressions, so a prompt that pastes
a customer's e-mail or a cloud key does not reach the provider; with `answers`
on, answer text (chat and completion, unary and streamed) is scrubbed too, and so is
plain reasoning text (format UNSPECIFIED: DeepSeek `reasoning_content`, Ollama
`thinking`...). Reasoning in a provider's own format (Anthropic thinking, Gemini thoughts,
OpenAI Responses items) passes unchanged: its text is signed or tied to opaque data the
provider checks when the conversation is sent back, so changing it would make the next
turn fail. The rule looks at `format`, set on every delta, so a stream is scrubbed
exactly like the unary answer. Request reasoning is never changed (the same signatures).
Config:

    hooks:
      - name: redact
        options: {answers: true, extra_patterns: {"[ticket]": "TCK-[0-9]{6}"}}
"""

from __future__ import annotations

import re
from typing import Any

from modelgate.v1 import chat_pb2, completion_pb2, content_pb2, embedding_pb2

_PLAIN = content_pb2.REASONING_FORMAT_UNSPECIFIED
"""Reasoning nothing signs: the only kind whose text the hook may change."""

PATTERNS: dict[str, str] = {
    "[email]": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
    "[api-key]": r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}\b",
    "[aws-key]": r"\bAKIA[0-9A-Z]{16}\b",
    "[token]": r"\b(?:ghp|gho|xox[abp])[-_][A-Za-z0-9-]{10,}\b",
}


class RedactionHook:
    """Replaces matches of each pattern with its label in text parts."""

    def __init__(self, answers: bool = False, extra_patterns: dict[str, str] | None = None) -> None:
        patterns = {**PATTERNS, **(extra_patterns or {})}
        self._rules = [(re.compile(pattern), label) for label, pattern in patterns.items()]
        self.answers = answers

    def redact(self, text: str) -> str:
        """`text` with every match replaced by its label."""
        for rule, label in self._rules:
            text = rule.sub(label, text)
        return text

    def _scrub_parts(self, parts: Any, *, reasoning: bool = False) -> None:
        for part in parts:
            kind = part.WhichOneof("data")
            if kind == "text":
                part.text = self.redact(part.text)
            elif kind == "reasoning" and reasoning and part.reasoning.format == _PLAIN:
                part.reasoning.text = self.redact(part.reasoning.text)

    async def before(self, request: Any) -> None:
        """Scrub request text: chat messages, a completion's prompt and suffix, embed inputs."""
        if isinstance(request, chat_pb2.ChatRequest):
            for message in request.messages:
                self._scrub_parts(message.parts)
        elif isinstance(request, completion_pb2.CompleteRequest):
            request.prompt = self.redact(request.prompt)
            request.suffix = self.redact(request.suffix)
        elif isinstance(request, embedding_pb2.EmbedRequest):
            request.inputs[:] = [self.redact(text) for text in request.inputs]

    async def after(self, request: Any, response: Any) -> None:
        """Scrub answer text (chat content, completion text) when `answers` is on."""
        if not self.answers:
            return
        if hasattr(response, "content"):
            self._scrub_parts(response.content, reasoning=True)
        if getattr(response, "text", ""):
            response.text = self.redact(response.text)

    def on_chunk(self, request: Any, event: Any) -> None:
        """Scrub streamed text and plain reasoning deltas when `answers` is on (matches split
        across deltas slip)."""
        if not self.answers:
            return
        if event.HasField("text_delta"):
            event.text_delta.text = self.redact(event.text_delta.text)
        elif (
            isinstance(event, chat_pb2.StreamChatResponse)
            and event.HasField("reasoning_delta")
            and event.reasoning_delta.format == _PLAIN
        ):
            event.reasoning_delta.text = self.redact(event.reasoning_delta.text)
