"""Gemini `GenerateContentResponse` JSON to the contract's content, finish reason and usage.

- Parts, in order: text; `thought: true` parts as Reasoning (format GEMINI, with their
  `thoughtSignature`); `functionCall` as ToolCall (Gemini's id, else one the gateway
  makes, `GENERATED_ID_PREFIX`). A `thoughtSignature` on a text or functionCall part
  becomes a signature-only Reasoning part right before it, so a caller that sends the
  answer back unchanged returns the signature on the same part (contents.py).
- Usage (generation.proto's definitions): input = `promptTokenCount` (cached tokens
  included) + `toolUsePromptTokenCount`; output = `candidatesTokenCount` +
  `thoughtsTokenCount`, reasoning included; reasoning = `thoughtsTokenCount`; cached
  input = `cachedContentTokenCount`.
- Finish: STOP is TOOL_CALLS when the answer calls a function; MAX_TOKENS is LENGTH;
  every safety-like stop (SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII, the
  IMAGE_* ones, LANGUAGE) is CONTENT_FILTER; the raw reason is always kept.
- A prompt Gemini blocked (`promptFeedback.blockReason`, no candidates) is not an
  answer: INVALID_ARGUMENT CONTENT_FILTERED naming the reason, not retried (asking
  again gets the same verdict), like other providers' input filters.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any, TypeAlias

from modelgate.errors import GatewayError, upstream_failure, upstream_invalid_response
from modelgate.providers.gemini.contents import GENERATED_ID_PREFIX
from modelgate.providers.json_fields import tool_call
from modelgate.providers.upstream_json import count, nesting, obj, objects, text
from modelgate.v1 import content_pb2, generation_pb2
from modelgate.v1.errors_pb2 import ErrorReason

Finish: TypeAlias = generation_pb2.FinishReason.ValueType
GEMINI = content_pb2.REASONING_FORMAT_GEMINI

_FILTERED = (
    "SAFETY",
    "RECITATION",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "LANGUAGE",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
)
_FINISH: dict[str, Finish] = {
    "STOP": generation_pb2.FINISH_REASON_STOP,
    "MAX_TOKENS": generation_pb2.FINISH_REASON_LENGTH,
    **dict.fromkeys(_FILTERED, generation_pb2.FINISH_REASON_CONTENT_FILTER),
}


def finish_reason(raw: str, called: bool) -> Finish:
    """Our finish reason for Gemini's; `called`: the answer holds a function call."""
    if not raw or raw == "FINISH_REASON_UNSPECIFIED":
        return generation_pb2.FINISH_REASON_UNSPECIFIED
    if raw == "STOP" and called:
        return generation_pb2.FINISH_REASON_TOOL_CALLS
    return _FINISH.get(raw, generation_pb2.FINISH_REASON_OTHER)


def usage(provider: str, raw: Any) -> generation_pb2.Usage:
    """Our Usage from `usageMetadata` (see the module docstring)."""
    meta = obj(provider, raw, "usageMetadata")
    prompt = count(provider, meta.get("promptTokenCount"), "usageMetadata.promptTokenCount")
    tool_prompt = count(
        provider, meta.get("toolUsePromptTokenCount"), "usageMetadata.toolUsePromptTokenCount"
    )
    answer = count(provider, meta.get("candidatesTokenCount"), "usageMetadata.candidatesTokenCount")
    thoughts = count(provider, meta.get("thoughtsTokenCount"), "usageMetadata.thoughtsTokenCount")
    cached = count(
        provider, meta.get("cachedContentTokenCount"), "usageMetadata.cachedContentTokenCount"
    )
    input_tokens = count(provider, prompt + tool_prompt, "input tokens")
    output_tokens = count(provider, answer + thoughts, "output tokens")
    return generation_pb2.Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=count(provider, input_tokens + output_tokens, "total tokens"),
        cached_input_tokens=cached,
        reasoning_tokens=thoughts,
    )


def new_call_id() -> str:
    """An id for a function call Gemini sent without one."""
    return GENERATED_ID_PREFIX + secrets.token_hex(8)


def function_call(provider: str, raw: Any) -> content_pb2.ToolCall:
    """A ToolCall from a `functionCall` object (arguments as Gemini wrote them)."""
    call = obj(provider, raw, "functionCall")
    call_id = text(provider, call.get("id"), "functionCall.id") or new_call_id()
    with nesting(provider, "functionCall.args"):
        return tool_call(
            call_id,
            text(provider, call.get("name"), "functionCall.name"),
            obj(provider, call.get("args"), "functionCall.args"),
        )


def signature_of(provider: str, part: dict[str, Any]) -> str:
    """A part's `thoughtSignature` ("" when it has none)."""
    return text(provider, part.get("thoughtSignature"), "parts[].thoughtSignature")


def content_parts(provider: str, parts: list[dict[str, Any]]) -> Iterator[content_pb2.ContentPart]:
    """Our parts for Gemini's, in order (see the module docstring)."""
    for part in parts:
        signature = signature_of(provider, part)
        if part.get("thought") is True:
            reasoning = content_pb2.Reasoning(
                text=text(provider, part.get("text"), "parts[].text"),
                signature=signature,
                format=GEMINI,
            )
            yield content_pb2.ContentPart(reasoning=reasoning)
            continue
        if signature:
            reasoning = content_pb2.Reasoning(signature=signature, format=GEMINI)
            yield content_pb2.ContentPart(reasoning=reasoning)
        if "functionCall" in part:
            yield content_pb2.ContentPart(tool_call=function_call(provider, part["functionCall"]))
        elif "text" in part:
            piece = text(provider, part.get("text"), "parts[].text")
            if piece:
                yield content_pb2.ContentPart(text=piece)


def blocked(provider: str, feedback: Any) -> GatewayError | None:
    """The failure of a prompt Gemini blocked, or None when it did not."""
    reason = text(
        provider,
        obj(provider, feedback, "promptFeedback").get("blockReason"),
        "promptFeedback.blockReason",
    )
    if not reason:
        return None
    return upstream_failure(
        provider,
        ErrorReason.ERROR_REASON_CONTENT_FILTERED,
        f"{provider} blocked the prompt ({reason}); rephrase it or change the safety settings",
        metadata={"block_reason": reason},
        retry_after=None,
        retryable=False,
    )


def first_candidate(provider: str, body: dict[str, Any]) -> dict[str, Any] | None:
    """The answer's first candidate, None when it has none; a blocked prompt raises."""
    candidates = objects(provider, body.get("candidates"), "candidates")
    if candidates:
        return candidates[0]
    failure = blocked(provider, body.get("promptFeedback"))
    if failure is not None:
        raise failure
    return None


class Answer:
    """One unary generateContent answer, read once."""

    def __init__(self, provider: str, raw: Any) -> None:
        body = obj(provider, raw, "its answer")
        candidate = first_candidate(provider, body)
        if candidate is None:
            raise upstream_invalid_response(provider, "answered without candidates")
        content = obj(provider, candidate.get("content"), "candidates[0].content")
        parts = objects(provider, content.get("parts"), "content.parts")
        self.content = list(content_parts(provider, parts))
        self.raw_finish = text(provider, candidate.get("finishReason"), "finishReason")
        called = any(part.HasField("tool_call") for part in self.content)
        self.finish = finish_reason(self.raw_finish, called)
        self.usage = usage(provider, body.get("usageMetadata"))
        self.response_id = text(provider, body.get("responseId"), "responseId")

    def text(self) -> str:
        """The answer's text parts joined (thoughts excluded)."""
        return "".join(part.text for part in self.content if part.HasField("text"))
