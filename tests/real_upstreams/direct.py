"""The same question asked two ways: through the gateway, and with the official SDK directly.

Both answers are reduced to an `Answer` so a test can say `assert through_gateway == direct`.
The SDK clients never retry (max_retries=0), like the gateway's own upstream calls.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import anthropic
import openai
from google.protobuf import json_format

from modelgate.v1 import chat_pb2, content_pb2, generation_pb2
from tests.real_upstreams import conversation as conv

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub


@dataclass(frozen=True)
class Answer:
    """What a chat call produced, in terms every API shares."""

    text: str
    calls: list[tuple[str, Any]] = field(default_factory=list)
    """(tool name, parsed arguments) in order."""
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class Ask:
    """One chat request, independent of the API it is sent to."""

    turns: list[conv.Turn]
    max_tokens: int = 12
    tools: tuple[conv.ToolSpec, ...] = ()
    tool_choice: Literal["required", "none"] | None = None
    """None: the API's default (auto)."""
    schema: tuple[str, dict[str, Any]] | None = None
    """(name, JSON schema): the answer must be JSON valid against it."""
    temperature: float = 0.0


# -- through the gateway ------------------------------------------------------------------------

_TOOL_CHOICE_MODES = {
    "required": content_pb2.TOOL_CHOICE_MODE_REQUIRED,
    "none": content_pb2.TOOL_CHOICE_MODE_NONE,
}


def chat_request(model: str, ask: Ask) -> chat_pb2.ChatRequest:
    """The ChatRequest for `ask`."""
    request = chat_pb2.ChatRequest(
        model=model,
        messages=conv.to_proto(ask.turns),
        tools=[conv.tool_proto(tool) for tool in ask.tools],
        generation=generation_pb2.GenerationConfig(
            temperature=ask.temperature, max_output_tokens=ask.max_tokens
        ),
    )
    if ask.tool_choice is not None:
        request.tool_choice.mode = _TOOL_CHOICE_MODES[ask.tool_choice]
    if ask.schema is not None:
        request.response_format.type = generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA
        request.response_format.schema_name = ask.schema[0]
        request.response_format.schema.update(ask.schema[1])
        request.response_format.max_reasks = 0
    return request


def stream_request(model: str, ask: Ask) -> chat_pb2.StreamChatRequest:
    """The StreamChatRequest for `ask` (the same fields and numbers as ChatRequest)."""
    return chat_pb2.StreamChatRequest.FromString(chat_request(model, ask).SerializeToString())


def gateway_answer(response: chat_pb2.ChatResponse) -> Answer:
    """The Answer in a unary ChatResponse."""
    text = "".join(part.text for part in response.content if part.WhichOneof("data") == "text")
    calls = [
        (part.tool_call.name, json_format.MessageToDict(part.tool_call.arguments))
        for part in response.content
        if part.WhichOneof("data") == "tool_call"
    ]
    return Answer(text, calls, response.usage.input_tokens, response.usage.output_tokens)


async def gateway_stream(stub: ModelGatewayAsyncStub, model: str, ask: Ask) -> Answer:
    """The Answer assembled from a StreamChat's deltas and its end event."""
    texts: list[str] = []
    names: dict[int, str] = {}
    arguments: dict[int, str] = {}
    usage = generation_pb2.Usage()
    async for event in stub.StreamChat(stream_request(model, ask), timeout=60):
        if event.HasField("text_delta"):
            texts.append(event.text_delta.text)
        elif event.HasField("tool_call_delta"):
            delta = event.tool_call_delta
            names[delta.index] = names.get(delta.index, "") + delta.name
            arguments[delta.index] = arguments.get(delta.index, "") + delta.arguments_json
        elif event.HasField("end"):
            usage = event.end.usage
    calls = [(names[i], json.loads(arguments.get(i) or "{}")) for i in sorted(names)]
    return Answer("".join(texts), calls, usage.input_tokens, usage.output_tokens)


def structured(response: chat_pb2.ChatResponse) -> Any:
    """The gateway's validated JSON answer as Python data."""
    return json_format.MessageToDict(response)["structuredOutput"]


# -- the official SDKs, directly ----------------------------------------------------------------


def _parsed(raw: str) -> Any:
    return json.loads(raw) if raw else {}


class Direct:
    """The official SDKs pointed at one server, asking for one upstream model."""

    def __init__(self, base_url: str, api_key: str, model: str) -> None:
        self.model = model
        self.openai = openai.AsyncOpenAI(base_url=base_url + "/v1", api_key=api_key, max_retries=0)
        self.anthropic = anthropic.AsyncAnthropic(base_url=base_url, api_key=api_key, max_retries=0)

    def on(self, model: str) -> Direct:
        """The same clients asking for another upstream model."""
        other = copy.copy(self)
        other.model = model
        return other

    async def aclose(self) -> None:
        """Close both clients' connections."""
        await self.openai.close()
        await self.anthropic.close()

    async def chat(self, kind: str, ask: Ask, *, stream: bool = False) -> Answer:
        """`ask` through the API that backend `kind` speaks."""
        if kind == "responses":
            return await self._responses(ask, stream)
        if kind == "anthropic":
            return await self._messages(ask, stream)
        return await self._chat_completions(ask, stream)

    async def _chat_completions(self, ask: Ask, stream: bool) -> Answer:
        params: dict[str, Any] = {
            "model": self.model,
            "messages": conv.chat_completions_messages(ask.turns),
            "temperature": ask.temperature,
            "max_tokens": ask.max_tokens,
        }
        if ask.tools:
            params["tools"] = [conv.chat_completions_tool(tool) for tool in ask.tools]
        if ask.tool_choice is not None:
            params["tool_choice"] = ask.tool_choice
        if ask.schema is not None:
            name, schema = ask.schema
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": schema},
            }
        if not stream:
            reply = await self.openai.chat.completions.create(**params)
            message = reply.choices[0].message
            calls = [
                (call.function.name, _parsed(call.function.arguments))
                for call in message.tool_calls or ()
                if call.type == "function"
            ]
            usage = reply.usage
            return Answer(
                message.content or "",
                calls,
                usage.prompt_tokens if usage else 0,
                usage.completion_tokens if usage else 0,
            )
        texts: list[str] = []
        names: dict[int, str] = {}
        arguments: dict[int, str] = {}
        inputs = outputs = 0
        chunks = await self.openai.chat.completions.create(
            **params, stream=True, stream_options={"include_usage": True}
        )
        async for chunk in chunks:
            if chunk.usage is not None:
                inputs, outputs = chunk.usage.prompt_tokens, chunk.usage.completion_tokens
            for choice in chunk.choices:
                texts.append(choice.delta.content or "")
                for call in choice.delta.tool_calls or ():
                    function = call.function
                    if function is not None:
                        names[call.index] = names.get(call.index, "") + (function.name or "")
                        arguments[call.index] = arguments.get(call.index, "") + (
                            function.arguments or ""
                        )
        calls = [(names[i], _parsed(arguments.get(i, ""))) for i in sorted(names)]
        return Answer("".join(texts), calls, inputs, outputs)

    async def _responses(self, ask: Ask, stream: bool) -> Answer:
        instructions, items = conv.responses_input(ask.turns)
        params: dict[str, Any] = {
            "model": self.model,
            "input": items,
            "temperature": ask.temperature,
            "max_output_tokens": ask.max_tokens,
        }
        if instructions is not None:
            params["instructions"] = instructions
        if ask.tools:
            params["tools"] = [conv.responses_tool(tool) for tool in ask.tools]
        if ask.tool_choice is not None:
            params["tool_choice"] = ask.tool_choice
        if ask.schema is not None:
            name, schema = ask.schema
            params["text"] = {
                "format": {"type": "json_schema", "name": name, "schema": schema, "strict": False}
            }
        if not stream:
            return _response_answer(await self.openai.responses.create(**params))
        texts: list[str] = []
        final = None
        events = await self.openai.responses.create(**params, stream=True)
        async for event in events:
            if event.type == "response.output_text.delta":
                texts.append(event.delta)
            elif event.type in ("response.completed", "response.incomplete"):
                final = event.response
        assert final is not None, "the Responses stream ended without response.completed"
        whole = _response_answer(final)
        return Answer("".join(texts), whole.calls, whole.input_tokens, whole.output_tokens)

    async def _messages(self, ask: Ask, stream: bool) -> Answer:
        system, messages = conv.anthropic_messages(ask.turns)
        params: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": ask.max_tokens,
            # anthropic 2.x no longer declares sampling parameters: they go as extra fields.
            "extra_body": {"temperature": ask.temperature},
        }
        if system is not None:
            params["system"] = system
        tools = [conv.anthropic_tool(tool) for tool in ask.tools]
        if ask.tool_choice is not None:
            params["tool_choice"] = {"type": "any" if ask.tool_choice == "required" else "none"}
        if ask.schema is not None:
            # The Messages API's way to JSON: one forced tool whose input is the answer.
            name, schema = ask.schema
            description = "Give the answer as this tool's input."
            tools.append({"name": name, "description": description, "input_schema": schema})
            params["tool_choice"] = {"type": "tool", "name": name}
        if tools:
            params["tools"] = tools
        if not stream:
            reply = await self.anthropic.messages.create(**params)
            text = "".join(block.text for block in reply.content if block.type == "text")
            calls = [(b.name, b.input) for b in reply.content if b.type == "tool_use"]
            return Answer(text, calls, reply.usage.input_tokens, reply.usage.output_tokens)
        texts: list[str] = []
        names: list[str] = []
        arguments: list[str] = []
        inputs = outputs = 0
        events = await self.anthropic.messages.create(**params, stream=True)
        async for event in events:
            if event.type == "message_start":
                inputs = event.message.usage.input_tokens
            elif event.type == "content_block_start" and event.content_block.type == "tool_use":
                names.append(event.content_block.name)
                arguments.append("")
            elif event.type == "content_block_delta" and event.delta.type == "text_delta":
                texts.append(event.delta.text)
            elif event.type == "content_block_delta" and event.delta.type == "input_json_delta":
                arguments[-1] += event.delta.partial_json
            elif event.type == "message_delta":
                outputs = event.usage.output_tokens
        calls = [(name, _parsed(raw)) for name, raw in zip(names, arguments, strict=True)]
        return Answer("".join(texts), calls, inputs, outputs)

    async def complete(self, kind: str, prompt: str, max_tokens: int) -> str:
        """A plain completion: /v1/completions, or one user turn where only Messages exists."""
        if kind == "anthropic":
            ask = Ask([conv.Say("user", prompt)], max_tokens=max_tokens)
            return (await self._messages(ask, stream=False)).text
        reply = await self.openai.completions.create(
            model=self.model, prompt=prompt, max_tokens=max_tokens, temperature=0
        )
        return reply.choices[0].text

    async def embed(self, inputs: list[str]) -> list[list[float]]:
        """One vector per input, in order."""
        reply = await self.openai.embeddings.create(model=self.model, input=inputs)
        return [item.embedding for item in sorted(reply.data, key=lambda item: item.index)]


def json_answer(kind: str, answer: Answer) -> Any:
    """The JSON an API gave to a JSON-schema request: its text, or Anthropic's forced tool input."""
    if kind == "anthropic":
        assert len(answer.calls) == 1, answer
        return answer.calls[0][1]
    return json.loads(answer.text)


def _response_answer(response: Any) -> Answer:
    texts: list[str] = []
    calls: list[tuple[str, Any]] = []
    for item in response.output:
        if item.type == "message":
            texts.extend(block.text for block in item.content if block.type == "output_text")
        elif item.type == "function_call":
            calls.append((item.name, _parsed(item.arguments)))
    usage = response.usage
    return Answer(
        "".join(texts),
        calls,
        usage.input_tokens if usage else 0,
        usage.output_tokens if usage else 0,
    )
