"""The contract's messages as Gemini `systemInstruction` and `contents`.

- System messages become `systemInstruction` (their text parts, in order); user turns
  are role "user", assistant turns role "model", tool results (ROLE_TOOL or anywhere)
  `functionResponse` parts of a "user" turn. Same-role turns are merged.
- Tool calls become `functionCall` parts, tool results `functionResponse` parts whose
  `response` is the result JSON object as written, or `{"output": ...}` (`{"error": ...}`
  when `is_error`) around text and non-object JSON, as Gemini's docs ask. A result
  without `name` takes the name of the earlier call with its id. Ids Gemini made travel
  back; ids the gateway made for calls Gemini sent without one (`GENERATED_ID_PREFIX`)
  do not, since Gemini never issued them.
- Reasoning parts of format GEMINI go back as they came (see response.py): thought text
  as a `thought: true` part with its `thoughtSignature`; a signature-only part onto the
  part after it (a text or functionCall part), or alone when nothing follows. Reasoning
  of other formats is not sent (the contract: opaque data only to its own provider),
  nor a GEMINI part with neither text nor signature; the backend names each one left
  out in the answer's `metadata["dropped_reasoning"]` (`sends_reasoning`).
- `Image.data` becomes `inlineData`; an image URL becomes `fileData` (Gemini fetches
  public and signed http(s) URLs itself) when its MIME type is known (given, or from
  the URL's extension); otherwise, and always under the runtime option
  `fetch_images: true`, the gateway fetches it (providers/image_fetch.py) first.
"""

from __future__ import annotations

import base64
import mimetypes
from typing import Any
from urllib.parse import urlsplit

import orjson

from modelgate.providers.json_fields import arguments_text, tool_result_text
from modelgate.v1 import content_pb2

GENERATED_ID_PREFIX = "gemini-call-"
"""Tool-call ids the gateway makes for calls Gemini sent without one; never sent back."""

Violations = list[tuple[str, str]]
Part = dict[str, Any]


def sends_reasoning(reasoning: content_pb2.Reasoning) -> bool:
    """Whether a reasoning part goes to Gemini: its own format, with text or a signature."""
    gemini = reasoning.format == content_pb2.REASONING_FORMAT_GEMINI
    return gemini and bool(reasoning.text or reasoning.signature)


def url_mime_type(image: content_pb2.Image) -> str:
    """The MIME type of a URL image: given, else guessed from the path ("" when unknown)."""
    if image.mime_type:
        return image.mime_type
    guessed, _ = mimetypes.guess_type(urlsplit(image.url).path)
    return guessed if guessed and guessed.startswith("image/") else ""


def _image(image: content_pb2.Image) -> Part:
    if image.WhichOneof("source") == "data":
        data = base64.b64encode(image.data).decode()
        return {"inlineData": {"mimeType": image.mime_type, "data": data}}
    return {"fileData": {"mimeType": url_mime_type(image), "fileUri": image.url}}


def _response_object(result: content_pb2.ToolResult) -> Any:
    """A functionResponse `response`: an object as written, else wrapped as Gemini asks."""
    key = "error" if result.is_error else "output"
    kind = result.WhichOneof("result")
    if kind in ("json_text", "json"):
        text = tool_result_text(result)
        if not result.is_error and isinstance(orjson.loads(text), dict):
            return orjson.Fragment(text)
        return {key: orjson.Fragment(text)}
    return {key: result.text}


def _call_id(call_id: str) -> str | None:
    return None if not call_id or call_id.startswith(GENERATED_ID_PREFIX) else call_id


class _Turns:
    """Builds `contents` and `systemInstruction` from the contract's messages."""

    def __init__(self, out: Violations) -> None:
        self.out = out
        self.system: list[Part] = []
        self.contents: list[dict[str, Any]] = []
        self.names: dict[str, str] = {}
        """Tool-call id -> name, for results that do not name their tool."""

    def add(self, i: int, message: content_pb2.Message) -> None:
        if message.role == content_pb2.ROLE_SYSTEM:
            for j, part in enumerate(message.parts):
                if part.WhichOneof("data") != "text":
                    self.out.append(
                        (f"messages[{i}].parts[{j}]", "Gemini system instructions are text only")
                    )
                elif part.text:
                    self.system.append({"text": part.text})
            return
        role = "model" if message.role == content_pb2.ROLE_ASSISTANT else "user"
        parts = self._parts(i, message.parts)
        if not parts:
            return
        if self.contents and self.contents[-1]["role"] == role:
            self.contents[-1]["parts"].extend(parts)
        else:
            self.contents.append({"role": role, "parts": parts})

    def _parts(self, i: int, parts: Any) -> list[Part]:
        converted: list[Part] = []
        signature: str | None = None
        for j, part in enumerate(parts):
            kind = part.WhichOneof("data")
            if kind == "reasoning":
                reasoning = part.reasoning
                if not sends_reasoning(reasoning):
                    continue
                if signature is not None:  # a signature with nothing after it to carry it
                    converted.append({"text": "", "thoughtSignature": signature})
                    signature = None
                if reasoning.text:
                    thought: Part = {"text": reasoning.text, "thought": True}
                    if reasoning.signature:
                        thought["thoughtSignature"] = reasoning.signature
                    converted.append(thought)
                elif reasoning.signature:
                    signature = reasoning.signature
                continue
            block = self._part(f"messages[{i}].parts[{j}]", part)
            if block is None:
                continue
            if signature is not None:
                block["thoughtSignature"] = signature
                signature = None
            converted.append(block)
        if signature is not None:
            converted.append({"text": "", "thoughtSignature": signature})
        return converted

    def _part(self, path: str, part: content_pb2.ContentPart) -> Part | None:
        kind = part.WhichOneof("data")
        if kind == "text":
            return {"text": part.text} if part.text else None
        if kind == "image":
            return _image(part.image)
        if kind == "tool_call":
            call = part.tool_call
            self.names[call.id] = call.name
            body: Part = {"name": call.name, "args": orjson.Fragment(arguments_text(call))}
            if _call_id(call.id):
                body = {"id": call.id, **body}
            return {"functionCall": body}
        if kind == "tool_result":
            result = part.tool_result
            name = result.name or self.names.get(result.tool_call_id, "")
            if not name:
                self.out.append(
                    (
                        f"{path}.tool_result.name",
                        "Gemini needs the tool's name; no earlier tool call has this tool_call_id",
                    )
                )
            answer: Part = {"name": name, "response": _response_object(result)}
            if _call_id(result.tool_call_id):
                answer = {"id": result.tool_call_id, **answer}
            return {"functionResponse": answer}
        return None


def convert_messages(messages: Any, out: Violations) -> tuple[list[Part], list[dict[str, Any]]]:
    """(systemInstruction parts, contents) of the contract's messages."""
    turns = _Turns(out)
    for i, message in enumerate(messages):
        turns.add(i, message)
    return turns.system, turns.contents
