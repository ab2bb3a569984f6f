"""Gemini API shapes for FakeGemini: replies, parts, usage and google.rpc.Status errors.

Field names and nesting follow the REST reference and the `google-genai` SDK's
converters (`models.py` `_*_from_mldev`); the fidelity test parses them with the SDK.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .plan import Plan
from .scenario import Fault, Reply
from .text import count_words

RPC = "type.googleapis.com/google.rpc."
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
CODES = {name: code for code, name in STATUS_NAMES.items()}
MESSAGES = {
    400: "Request contains an invalid argument.",
    403: "The caller does not have permission",
    404: "models/{model} is not found for API version v1beta, or is not supported for "
    "generateContent. Call ListModels to see the list of available models and their "
    "supported methods.",
    429: "You exceeded your current quota, please check your plan and billing details. For "
    "more information on this error, head to: https://ai.google.dev/gemini-api/docs/"
    "rate-limits.",
    500: "An internal error has occurred. Please retry or report in "
    "https://developers.generativeai.google/guide/troubleshooting",
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
}
NO_KEY_MESSAGE = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)
BAD_KEY_MESSAGE = "API key not valid. Please pass a valid API key."
FINISH = {
    "stop": "STOP",
    "stop_sequence": "STOP",
    "tool_calls": "STOP",
    "length": "MAX_TOKENS",
    "content_filter": "SAFETY",
}
RATINGS = [
    {"category": c, "probability": "NEGLIGIBLE"}
    for c in (
        "HARM_CATEGORY_HATE_SPEECH",
        "HARM_CATEGORY_DANGEROUS_CONTENT",
        "HARM_CATEGORY_HARASSMENT",
        "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    )
]


@dataclass(frozen=True)
class GeminiReply(Reply):
    """A Reply with Gemini's own features (any Reply works; its `thoughts` become
    `thought: true` parts, each with its `signature`, when the request asks
    `includeThoughts`).

    `signature`: a `thoughtSignature`, on the first functionCall part, else on the text
    (unary) or a last empty text part (streamed), as Gemini places it. `call_ids`:
    functionCall parts carry ids (Gemini 3) or not (Gemini 2.x). `block_reason`: the
    prompt is blocked (`promptFeedback.blockReason`, no candidates).
    """

    signature: str | None = None
    call_ids: bool = False
    block_reason: str | None = None


def pick(obj: Any, name: str) -> Any:
    """`obj[name]` by its JSON name (lowerCamel) or its proto name (snake_case): Google's
    JSON parsers accept both, and the SDK sends some fields (`thinking_budget`) snake."""
    if not isinstance(obj, dict):
        return None
    if name in obj:
        return obj[name]
    return obj.get(re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name))


def error_body(status: int, message: str, *details: dict[str, Any]) -> dict[str, Any]:
    """A google.rpc.Status as Google's JSON APIs send it."""
    error: dict[str, Any] = {
        "code": status,
        "message": message,
        "status": STATUS_NAMES.get(status, "UNKNOWN"),
    }
    if details:
        error["details"] = list(details)
    return {"error": error}


def quota_details(model: str, retry_after: float | None) -> list[dict[str, Any]]:
    """QuotaFailure, Help and RetryInfo of a free-tier per-minute 429."""
    details: list[dict[str, Any]] = [
        {
            "@type": RPC + "QuotaFailure",
            "violations": [
                {
                    "quotaMetric": "generativelanguage.googleapis.com/"
                    "generate_content_free_tier_requests",
                    "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                    "quotaDimensions": {"location": "global", "model": model},
                    "quotaValue": "10",
                }
            ],
        },
        {
            "@type": RPC + "Help",
            "links": [
                {
                    "description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                }
            ],
        },
    ]
    if retry_after is not None:
        seconds = f"{retry_after:g}s" if retry_after % 1 else f"{int(retry_after)}s"
        details.append({"@type": RPC + "RetryInfo", "retryDelay": seconds})
    return details


def bad_key_body() -> dict[str, Any]:
    """What Gemini answers a wrong API key: 400 with ErrorInfo API_KEY_INVALID."""
    return error_body(
        400,
        BAD_KEY_MESSAGE,
        {
            "@type": RPC + "ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": "generativelanguage.googleapis.com"},
        },
        {"@type": RPC + "LocalizedMessage", "locale": "en-US", "message": BAD_KEY_MESSAGE},
    )


def fault_body(fault: Fault, model: str, prompt_tokens: int) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) of a scripted HTTP fault in Gemini's words."""
    status = 503 if fault.status == 529 else fault.status
    if fault.semantic == "context_length":
        tokens = max(prompt_tokens, 1_048_577)
        message = fault.message or (
            f"The input token count ({tokens}) exceeds the maximum number of tokens "
            "allowed (1048576)."
        )
        return 400, error_body(400, message)
    if fault.semantic == "rate_limit" or status == 429:
        message = fault.message or MESSAGES[429]
        return 429, error_body(429, message, *quota_details(model, fault.retry_after))
    default = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    return status, error_body(status, fault.message or default.format(model=model))


def stream_error(fault: Fault) -> dict[str, Any]:
    """The `{"error": ...}` event Gemini sends after HTTP 200 (UNAVAILABLE by default)."""
    name = fault.type or "UNAVAILABLE"
    code = CODES.get(name, 500)
    return error_body(code, fault.message or MESSAGES.get(code, MESSAGES[500]))


def texts(value: Any) -> str:
    """Every `text` of a Content, a list of them, or a systemInstruction, joined."""
    if isinstance(value, dict):
        parts = value.get("parts")
        found = parts if isinstance(parts, list) else []
        return " ".join(
            p["text"]
            for p in found
            if isinstance(p, dict) and isinstance(p.get("text"), str) and not p.get("thought")
        )
    if isinstance(value, list):
        return " ".join(texts(item) for item in value)
    return ""


def last_user_text(contents: Any) -> str:
    """The echo source: the last user turn's text."""
    for content in reversed(contents if isinstance(contents, list) else []):
        if isinstance(content, dict) and content.get("role", "user") == "user":
            return texts(content)
    return ""


def prompt_tokens(body: dict[str, Any]) -> int:
    """Words of the system instruction and contents, plus one per declared function."""
    functions = [
        declaration
        for tool in body.get("tools") or []
        if isinstance(tool, dict)
        for declaration in pick(tool, "functionDeclarations") or []
    ]
    system = texts(pick(body, "systemInstruction"))
    return count_words(system, texts(body.get("contents"))) + len(functions)


def usage(plan: Plan, output_tokens: int, thoughts: int) -> dict[str, Any]:
    """`usageMetadata`: candidatesTokenCount excludes thoughts, totalTokenCount adds all."""
    meta: dict[str, Any] = {
        "promptTokenCount": plan.input_tokens,
        "candidatesTokenCount": max(output_tokens - thoughts, 0),
        "totalTokenCount": plan.input_tokens + output_tokens,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": plan.input_tokens}],
    }
    if thoughts:
        meta["thoughtsTokenCount"] = thoughts
    if plan.reply.cached_tokens:
        meta["cachedContentTokenCount"] = plan.reply.cached_tokens
    return meta


def call_parts(plan: Plan, reply: GeminiReply) -> list[dict[str, Any]]:
    """functionCall parts; the reply's signature on the first (Gemini's placement)."""
    parts: list[dict[str, Any]] = []
    for call in plan.calls:
        body: dict[str, Any] = {"name": call.name, "args": call.arguments}
        if reply.call_ids:
            body = {"id": call.id, **body}
        part: dict[str, Any] = {"functionCall": body}
        if reply.signature and not parts:
            part["thoughtSignature"] = reply.signature
        parts.append(part)
    return parts


def thought_part(text: str, signature: str | None) -> dict[str, Any]:
    """A thought-summary part, with the thought's own signature when it has one."""
    part: dict[str, Any] = {"text": text, "thought": True}
    if signature:
        part["thoughtSignature"] = signature
    return part


def candidate(parts: list[dict[str, Any]], finish: str | None) -> dict[str, Any]:
    """One candidate (index 0), with its finish reason and ratings when it ends."""
    out: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
    if finish is not None:
        out["finishReason"] = finish
        if finish == "SAFETY":
            out["safetyRatings"] = [
                {**r, "probability": "HIGH", "blocked": True} if i == 0 else r
                for i, r in enumerate(RATINGS)
            ]
    out["index"] = 0
    return out


def finish_of(plan: Plan) -> str:
    """Gemini's finishReason for the plan's neutral one (native names pass through)."""
    return FINISH.get(plan.finish, plan.finish)
