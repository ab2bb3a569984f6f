"""OpenAI's Responses API through the official SDK (models configured with `api: responses`).

Used for what only the Responses API does: server-side conversation state, so
`previous_response_id` passes straight through and the provider's `resp_...`
id becomes our response id. Off the hot path, so the SDK's types earn their
keep here. The SDK's own retries are off: the router is the only retry loop.

The SDK builds its models without validating them and reads the stream itself, so a
broken answer (not JSON, invalid UTF-8, `output` a string) surfaces as a ValueError,
AttributeError or TypeError while reading it: here, and only here, those are the
upstream's fault (`_BROKEN`), UPSTREAM_INVALID_RESPONSE. The SDK splits lines itself,
so `limits.upstream_max_line_bytes` does not bound this path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx2
import openai

from modelgate.errors import GatewayError
from modelgate.providers.base import AnyChatRequest, CallContext, Target
from modelgate.providers.structs import (
    arguments_struct,
    struct_to_dict,
    struct_to_json,
    tool_result_text,
)
from modelgate.providers.upstream_errors import (
    classify,
    deadline_exceeded,
    invalid_response,
    unavailable,
)
from modelgate.v1 import chat_pb2, content_pb2, generation_pb2, stream_pb2

_BROKEN = (ValueError, AttributeError, TypeError)
"""What reading a malformed answer through the SDK raises (JSON, UTF-8, shape)."""
_CUT = "answer broke off"
"""httpx2.TransportError: the SDK lets it through when an error body is cut short."""
_MALFORMED = "sent a malformed Response"

_INCOMPLETE = {
    "max_output_tokens": generation_pb2.FINISH_REASON_LENGTH,
    "content_filter": generation_pb2.FINISH_REASON_CONTENT_FILTER,
}


def _content(message: content_pb2.Message, items: list[dict[str, Any]], system: list[str]) -> None:
    role = message.role
    blocks: list[dict[str, Any]] = []
    text_type = "output_text" if role == content_pb2.ROLE_ASSISTANT else "input_text"
    for part in message.parts:
        kind = part.WhichOneof("data")
        if kind == "text":
            if role == content_pb2.ROLE_SYSTEM:
                system.append(part.text)
            else:
                blocks.append({"type": text_type, "text": part.text})
        elif kind == "image":
            image = part.image
            url = image.url
            if image.WhichOneof("source") == "data":
                import base64

                url = f"data:{image.mime_type};base64,{base64.b64encode(image.data).decode()}"
            blocks.append({"type": "input_image", "image_url": url})
        elif kind == "tool_call":
            items.append(
                {
                    "type": "function_call",
                    "call_id": part.tool_call.id,
                    "name": part.tool_call.name,
                    "arguments": struct_to_json(part.tool_call.arguments),
                }
            )
        elif kind == "tool_result":
            result = part.tool_result
            output = tool_result_text(result)
            items.append(
                {"type": "function_call_output", "call_id": result.tool_call_id, "output": output}
            )
    if blocks:
        items.append(
            {
                "role": "assistant" if role == content_pb2.ROLE_ASSISTANT else "user",
                "content": blocks,
            }
        )


def responses_body(target: Target, request: AnyChatRequest) -> dict[str, Any]:
    """Keyword arguments of `client.responses.create` for `request`."""
    items: list[dict[str, Any]] = []
    system: list[str] = []
    for message in request.messages:
        _content(message, items, system)
    body: dict[str, Any] = {"model": target.upstream_name, "input": items, **target.defaults}
    if system:
        body["instructions"] = "\n".join(system)
    if request.previous_response_id:
        body["previous_response_id"] = request.previous_response_id
    g = request.generation
    if g.HasField("temperature"):
        body["temperature"] = round(g.temperature, 6)
    if g.HasField("top_p"):
        body["top_p"] = round(g.top_p, 6)
    if g.HasField("max_output_tokens"):
        body["max_output_tokens"] = g.max_output_tokens
    if request.tools:
        body["tools"] = [
            {
                "type": "function",
                "name": t.name,
                "description": t.description,
                "parameters": struct_to_dict(t.parameters)
                if t.HasField("parameters")
                else {"type": "object"},
                "strict": t.strict,
            }
            for t in request.tools
        ]
    fmt = request.response_format
    if fmt.type == generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA:
        body["text"] = {
            "format": {
                "type": "json_schema",
                "name": fmt.schema_name,
                "schema": struct_to_dict(fmt.schema),
                "strict": fmt.strict,
            }
        }
    elif fmt.type == generation_pb2.RESPONSE_FORMAT_TYPE_JSON_OBJECT:
        body["text"] = {"format": {"type": "json_object"}}
    if request.user:
        body["user"] = request.user
    if g.HasField("extra"):
        body.update(struct_to_dict(g.extra))
    body.update(target.extra)
    return body


def _finish(response: Any, has_calls: bool) -> tuple[generation_pb2.FinishReason.ValueType, str]:
    status = getattr(response, "status", "") or ""
    if status == "incomplete":
        reason = getattr(getattr(response, "incomplete_details", None), "reason", "") or ""
        return _INCOMPLETE.get(reason, generation_pb2.FINISH_REASON_OTHER), reason
    if has_calls:
        return generation_pb2.FINISH_REASON_TOOL_CALLS, status
    return generation_pb2.FINISH_REASON_STOP, status


def _usage(usage: Any, out: generation_pb2.Usage) -> None:
    if usage is None:
        return
    out.input_tokens = usage.input_tokens or 0
    out.output_tokens = usage.output_tokens or 0
    out.total_tokens = usage.total_tokens or out.input_tokens + out.output_tokens
    details = getattr(usage, "input_tokens_details", None)
    out.cached_input_tokens = getattr(details, "cached_tokens", 0) or 0
    reasoning = getattr(usage, "output_tokens_details", None)
    out.reasoning_tokens = getattr(reasoning, "reasoning_tokens", 0) or 0


class ResponsesApi:
    """An SDK client bound to one runtime."""

    def __init__(
        self, provider: str, base_url: str, api_key: str, headers: Mapping[str, str]
    ) -> None:
        self.provider = provider
        self.secrets = (api_key,)
        self.client = openai.AsyncOpenAI(
            api_key=api_key or "unused",
            base_url=base_url,
            max_retries=0,
            default_headers=dict(headers),
            http_client=openai.DefaultAioHttpClient(),
        )

    def _error(self, exc: Exception) -> GatewayError:
        if isinstance(exc, openai.APITimeoutError):
            return deadline_exceeded(self.provider)
        if isinstance(exc, openai.APIStatusError):
            return classify(
                self.provider,
                exc.status_code,
                exc.body
                if isinstance(exc.body, dict) and "error" in exc.body
                else {"error": exc.body},
                exc.response.headers,
                self.secrets,
            )
        if isinstance(exc, openai.APIConnectionError):
            return unavailable(self.provider, "connection failed")
        if isinstance(exc, openai.APIResponseValidationError):
            return invalid_response(self.provider, _MALFORMED)
        return unavailable(self.provider, f"unexpected answer ({type(exc).__name__})")

    async def chat(
        self, target: Target, request: AnyChatRequest, call: CallContext
    ) -> chat_pb2.ChatResponse:
        """One Responses API call; our id is the provider's, so continuation is native."""
        try:
            response = await self.client.responses.create(
                **responses_body(target, request), timeout=call.remaining()
            )
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc
        except httpx2.TransportError:
            raise unavailable(self.provider, _CUT) from None
        except _BROKEN:
            raise invalid_response(self.provider, _MALFORMED) from None
        try:
            return self._answer(response)
        except _BROKEN:
            raise invalid_response(self.provider, _MALFORMED) from None

    def _answer(self, response: Any) -> chat_pb2.ChatResponse:
        result = chat_pb2.ChatResponse(id=response.id, provider_response_id=response.id)
        has_calls = False
        for item in response.output:
            if item.type == "message":
                for block in item.content:
                    if block.type == "output_text":
                        result.content.add(text=block.text)
            elif item.type == "function_call":
                has_calls = True
                result.content.add(
                    tool_call=content_pb2.ToolCall(
                        id=item.call_id, name=item.name, arguments=arguments_struct(item.arguments)
                    )
                )
        result.finish_reason, result.raw_finish_reason = _finish(response, has_calls)
        _usage(response.usage, result.usage)
        return result

    async def stream_chat(
        self, target: Target, request: AnyChatRequest, call: CallContext
    ) -> AsyncIterator[chat_pb2.StreamChatResponse]:
        """Deltas from the Responses event stream; `response.completed` is the terminator."""
        Event = chat_pb2.StreamChatResponse
        calls: dict[str, tuple[int, str]] = {}
        try:
            stream = await self.client.responses.create(
                **responses_body(target, request), stream=True, timeout=call.remaining()
            )
            async with stream:
                content_type = stream.response.headers.get("content-type", "")
                if not content_type.startswith("text/event-stream"):
                    raise invalid_response(
                        self.provider, f"answered {content_type} to a stream request, not SSE"
                    )
                async for event in stream:
                    kind = event.type
                    if kind == "response.output_text.delta":
                        yield Event(text_delta=stream_pb2.TextDelta(text=event.delta))
                    elif (
                        kind == "response.output_item.added" and event.item.type == "function_call"
                    ):
                        calls[event.item.id or ""] = (len(calls), event.item.call_id)
                        yield Event(
                            tool_call_delta=stream_pb2.ToolCallDelta(
                                index=len(calls) - 1, id=event.item.call_id, name=event.item.name
                            )
                        )
                    elif kind == "response.function_call_arguments.delta":
                        index, call_id = calls.get(event.item_id, (0, ""))
                        yield Event(
                            tool_call_delta=stream_pb2.ToolCallDelta(
                                index=index, id=call_id, arguments_json=event.delta
                            )
                        )
                    elif kind in ("response.completed", "response.incomplete"):
                        end = stream_pb2.StreamEnd(
                            id=event.response.id, provider_response_id=event.response.id
                        )
                        end.finish_reason, end.raw_finish_reason = _finish(
                            event.response, bool(calls)
                        )
                        _usage(event.response.usage, end.usage)
                        yield Event(end=end)
                        return
                    elif kind in ("error", "response.failed"):
                        body = {
                            "error": {
                                "type": getattr(event, "code", "") or "server_error",
                                "message": getattr(event, "message", "") or "failed",
                            }
                        }
                        raise classify(self.provider, None, body, {}, self.secrets)
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc
        except httpx2.TransportError:
            raise unavailable(self.provider, _CUT) from None
        except _BROKEN:
            raise invalid_response(self.provider, _MALFORMED + " event") from None
        raise unavailable(self.provider, "stream ended without response.completed")

    async def aclose(self) -> None:
        """Close the SDK's connections."""
        await self.client.close()
