"""What llama.cpp's llama-server refuses in a Responses API request, in its own words.

llama-server turns `/v1/responses` into a chat completion
(`convert_responses_to_chatcmpl` in tools/server/server-common.cpp) and is far
stricter than OpenAI: OpenAI accepts an `EasyInputMessage` without `type`,
llama.cpp recognises an assistant message only with `"type": "message"` and
output_text parts, keeps no conversations (any `previous_response_id` is a
400) and answers everything else it cannot classify with "Cannot determine
type of 'item'". The rules and messages below follow that function check by check.
"""

from __future__ import annotations

from typing import Any

_INPUT_ROLES = ("user", "system", "developer")


def _is(item: dict[str, Any], key: str, kind: type) -> bool:
    return isinstance(item.get(key), kind)


def _input_part_problem(part: Any) -> str | None:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind == "input_text":
        return None if "text" in part else "'Input text' requires 'text'"
    if kind == "input_image":
        return None if "image_url" in part else "'image_url' is required"
    if kind == "input_file":
        return "'input_file' is not supported by llamacpp at this moment"
    return "'type' must be one of 'input_text', 'input_image', or 'input_file'"


def _item_problem(item: Any) -> str | None:
    if not isinstance(item, dict):
        return "Cannot determine type of 'item'"
    if _is(item, "content", str):  # shorthand text content: one input_text part
        item = {**item, "content": [{"type": "input_text", "text": item["content"]}]}
    kind = item.get("type")
    role = item.get("role")
    if _is(item, "content", list) and role in _INPUT_ROLES:
        problems = (_input_part_problem(part) for part in item["content"])
        return next((p for p in problems if p), None)
    if _is(item, "content", list) and role == "assistant" and kind == "message":
        for part in item["content"]:
            if not isinstance(part, dict) or part.get("type") != "output_text":
                return "'type' must be 'output_text'"
            if not _is(part, "text", str):
                return "'Output text' requires 'text'"
        return None
    if kind == "function_call" and all(_is(item, k, str) for k in ("arguments", "call_id", "name")):
        return None
    if kind == "function_call_output" and _is(item, "call_id", str):
        output = item.get("output")
        if isinstance(output, str):
            return None
        if isinstance(output, list):
            typed = all(isinstance(p, dict) and p.get("type") == "input_text" for p in output)
            return None if typed else "Output of tool call should be 'Input text'"
    if kind == "reasoning" and _is(item, "summary", list):
        content = item.get("content")
        if not isinstance(content, list):
            return "item['content'] is not an array"
        if not content:
            return "item['content'] is empty"
        first = content[0]
        return (
            None
            if isinstance(first, dict) and _is(first, "text", str)
            else ("item['content']['text'] is not a string")
        )
    return "Cannot determine type of 'item'"


def llama_cpp_problem(body: dict[str, Any]) -> str | None:
    """The message llama-server's 400 would carry for this request body, or None if accepted."""
    if "input" not in body:
        return "'input' is required"
    previous = body.get("previous_response_id")
    if isinstance(previous, str) and previous:
        return "llama.cpp does not support 'previous_response_id'."
    raw = body["input"]
    if isinstance(raw, list):
        problem = next((p for p in map(_item_problem, raw) if p), None)
        if problem:
            return problem
    elif not isinstance(raw, str):
        return "'input' must be a string or array of objects"
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            return "'tools' must be an array of objects"
        if any(not isinstance(t, dict) or t.get("type") != "function" for t in tools):
            return "'type' of tool must be 'function'"
    return None


def llama_cpp_error(message: str) -> dict[str, Any]:
    """llama-server's error envelope for an invalid request (HTTP 400)."""
    return {"error": {"code": 400, "message": message, "type": "invalid_request_error"}}
