"""One conversation, written once, as our proto and as each official API's own request.

The API translations here are the reference: what a developer would send with the official
SDK, written from the API documentation and independent of the gateway's own conversion code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from google.protobuf import struct_pb2

from modelgate.v1 import content_pb2


@dataclass(frozen=True)
class Say:
    """A text turn."""

    role: Literal["system", "user", "assistant"]
    text: str


@dataclass(frozen=True)
class Call:
    """An assistant turn that only calls a tool."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Result:
    """The tool's answer to a call."""

    call_id: str
    name: str
    text: str


Turn = Say | Call | Result


@dataclass(frozen=True)
class ToolSpec:
    """A function tool."""

    name: str
    description: str
    parameters: dict[str, Any]


WEATHER = ToolSpec(
    name="get_weather",
    description="Current weather in a city.",
    parameters={
        "type": "object",
        "properties": {"city": {"enum": ["Paris"]}},
        "required": ["city"],
    },
)
"""A tool whose only possible call is get_weather(city="Paris")."""
WEATHER_IN_ONE_ORDER = ToolSpec(
    name="get_weather",
    description="Current weather in a city.",
    parameters={"properties": {"city": {"enum": ["Paris"]}}},
)
"""The same tool with one key per object at every level. llama-server's chat template renders
the offered tools into the prompt, so where a test compares free text the schema must reach it
in the same key order through every path; a Struct's order varies per process."""

_ROLES = {
    "system": content_pb2.ROLE_SYSTEM,
    "user": content_pb2.ROLE_USER,
    "assistant": content_pb2.ROLE_ASSISTANT,
}


def struct(value: dict[str, Any]) -> struct_pb2.Struct:
    """`value` as a protobuf Struct."""
    result = struct_pb2.Struct()
    result.update(value)
    return result


def to_proto(turns: list[Turn]) -> list[content_pb2.Message]:
    """Our contract's messages."""
    messages = []
    for turn in turns:
        if isinstance(turn, Say):
            part = content_pb2.ContentPart(text=turn.text)
            messages.append(content_pb2.Message(role=_ROLES[turn.role], parts=[part]))
        elif isinstance(turn, Call):
            call = content_pb2.ToolCall(
                id=turn.id, name=turn.name, arguments=struct(turn.arguments)
            )
            part = content_pb2.ContentPart(tool_call=call)
            messages.append(content_pb2.Message(role=content_pb2.ROLE_ASSISTANT, parts=[part]))
        else:
            result = content_pb2.ToolResult(
                tool_call_id=turn.call_id, name=turn.name, text=turn.text
            )
            part = content_pb2.ContentPart(tool_result=result)
            messages.append(content_pb2.Message(role=content_pb2.ROLE_TOOL, parts=[part]))
    return messages


def tool_proto(tool: ToolSpec) -> content_pb2.Tool:
    """A tool in our contract."""
    return content_pb2.Tool(
        name=tool.name, description=tool.description, parameters=struct(tool.parameters)
    )


def chat_completions_messages(turns: list[Turn]) -> list[dict[str, Any]]:
    """OpenAI Chat Completions `messages`."""
    messages: list[dict[str, Any]] = []
    for turn in turns:
        if isinstance(turn, Say):
            messages.append({"role": turn.role, "content": turn.text})
        elif isinstance(turn, Call):
            function = {"name": turn.name, "arguments": json.dumps(turn.arguments)}
            messages.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{"id": turn.id, "type": "function", "function": function}],
                }
            )
        else:
            messages.append({"role": "tool", "tool_call_id": turn.call_id, "content": turn.text})
    return messages


def chat_completions_tool(tool: ToolSpec) -> dict[str, Any]:
    """An OpenAI Chat Completions function tool."""
    function = {"name": tool.name, "description": tool.description, "parameters": tool.parameters}
    return {"type": "function", "function": function}


def responses_input(turns: list[Turn]) -> tuple[str | None, list[dict[str, Any]]]:
    """OpenAI Responses API (`instructions`, `input` items)."""
    system = [turn.text for turn in turns if isinstance(turn, Say) and turn.role == "system"]
    items: list[dict[str, Any]] = []
    for turn in turns:
        if isinstance(turn, Say) and turn.role == "user":
            items.append({"role": "user", "content": turn.text})
        elif isinstance(turn, Say) and turn.role == "assistant":
            content = [{"type": "output_text", "text": turn.text}]
            items.append({"type": "message", "role": "assistant", "content": content})
        elif isinstance(turn, Call):
            arguments = json.dumps(turn.arguments)
            items.append(
                {
                    "type": "function_call",
                    "call_id": turn.id,
                    "name": turn.name,
                    "arguments": arguments,
                }
            )
        elif isinstance(turn, Result):
            items.append(
                {"type": "function_call_output", "call_id": turn.call_id, "output": turn.text}
            )
    return ("\n".join(system) if system else None), items


def responses_tool(tool: ToolSpec) -> dict[str, Any]:
    """An OpenAI Responses API function tool (`strict` as our Tool's default, off)."""
    return {
        "type": "function",
        "name": tool.name,
        "description": tool.description,
        "parameters": tool.parameters,
        "strict": False,
    }


def anthropic_messages(turns: list[Turn]) -> tuple[str | None, list[dict[str, Any]]]:
    """Anthropic Messages (`system`, `messages`)."""
    system = [turn.text for turn in turns if isinstance(turn, Say) and turn.role == "system"]
    messages: list[dict[str, Any]] = []
    for turn in turns:
        if isinstance(turn, Say) and turn.role != "system":
            block: dict[str, Any] = {"type": "text", "text": turn.text}
            messages.append({"role": turn.role, "content": [block]})
        elif isinstance(turn, Call):
            block = {"type": "tool_use", "id": turn.id, "name": turn.name, "input": turn.arguments}
            messages.append({"role": "assistant", "content": [block]})
        elif isinstance(turn, Result):
            block = {"type": "tool_result", "tool_use_id": turn.call_id, "content": turn.text}
            messages.append({"role": "user", "content": [block]})
    return ("\n\n".join(system) if system else None), messages


def anthropic_tool(tool: ToolSpec) -> dict[str, Any]:
    """An Anthropic tool."""
    return {"name": tool.name, "description": tool.description, "input_schema": tool.parameters}
