"""The same request yields the same upstream body in every gateway process.

A `google.protobuf.Struct` is a map whose iteration order changes from one
process to the next, so a request carrying one used to reach the provider with
its keys shuffled differently by each worker and after each restart: provider
prompt caches missed, and strict modes and grammars saw another property
order. Two `modelgate serve` processes started with different PYTHONHASHSEED
send byte-identical upstream bodies for the JSON text fields (as the caller
wrote them) and for the deprecated Struct fields (keys sorted).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2

from modelgate.v1 import chat_pb2, content_pb2, gateway_pb2_grpc, generation_pb2
from tests.fakes import FakeOpenAI, Reply
from tests.ports import free_port
from tests.rpc_helpers import user

SERVING = re.compile(r"serving on 127\.0\.0\.1:(\d+)")
NAMES = ["zeta", "alpha", "mike", "bravo", "yankee", "charlie", "xray", "delta", "kilo", "echo"]
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {name: {"type": "string", "maxLength": 36} for name in NAMES},
    "additionalProperties": False,
}
ARGUMENTS: dict[str, Any] = {name: i for i, name in enumerate(NAMES)}
EXTRA: dict[str, Any] = {"metadata": {name: name for name in NAMES}}


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(value)
    return result


def _request(*, legacy: bool) -> chat_pb2.ChatRequest:
    """Tools, a JSON schema, extra parameters and a replayed tool call with its result."""
    if legacy:
        call = content_pb2.ToolCall(id="c1", name="lookup", arguments=_struct(ARGUMENTS))
        result = content_pb2.ToolResult(tool_call_id="c1", json=_struct(ARGUMENTS))
        tool = content_pb2.Tool(name="lookup", parameters=_struct(SCHEMA))
        fmt = generation_pb2.ResponseFormat(schema=_struct(SCHEMA))
        generation = generation_pb2.GenerationConfig(extra=_struct(EXTRA))
    else:
        call = content_pb2.ToolCall(id="c1", name="lookup", arguments_json=json.dumps(ARGUMENTS))
        result = content_pb2.ToolResult(tool_call_id="c1", json_text=json.dumps(ARGUMENTS))
        tool = content_pb2.Tool(name="lookup", parameters_json=json.dumps(SCHEMA))
        fmt = generation_pb2.ResponseFormat(schema_json=json.dumps(SCHEMA))
        generation = generation_pb2.GenerationConfig(extra_json=json.dumps(EXTRA))
    fmt.type, fmt.schema_name = generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA, "answer"
    part = content_pb2.ContentPart
    return chat_pb2.ChatRequest(
        model="gpt",
        messages=[
            user("look it up"),
            content_pb2.Message(role=content_pb2.ROLE_ASSISTANT, parts=[part(tool_call=call)]),
            content_pb2.Message(role=content_pb2.ROLE_TOOL, parts=[part(tool_result=result)]),
        ],
        tools=[tool],
        response_format=fmt,
        generation=generation,
    )


def _config(directory: Path, upstream: str) -> Path:
    path = directory / "modelgate.yaml"
    path.write_text(
        "runtimes:\n"
        f"  openai: {{kind: openai, base_url: '{upstream}/v1', api_key: sk-test-key-0123}}\n"
        "models:\n"
        "  - {id: gpt, runtime: openai, upstream_name: gpt-4o,"
        " capabilities: [chat, tools, json_schema]}\n"
    )
    return path


async def _bound_port(output: asyncio.StreamReader) -> int:
    """The port the gateway logs once serving."""
    seen: list[str] = []
    async with asyncio.timeout(120):  # start-up on a busy machine; normally ~2 s
        async for line in output:
            seen.append(line.decode(errors="replace"))
            found = SERVING.search(seen[-1])
            if found:
                return int(found.group(1))
    pytest.fail("gateway exited before serving:\n" + "".join(seen))


@contextlib.asynccontextmanager
async def _gateway(config: Path, seed: str) -> AsyncIterator[str]:
    """`modelgate serve` in its own process with PYTHONHASHSEED=`seed`; stopped on exit."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MODELGATE_")}
    env |= {"PYTHONHASHSEED": seed, "MODELGATE_LOG_LEVEL": "INFO", "MODELGATE_ECHO": "false"}
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "modelgate.cli", "serve", "--config", str(config)),
        *("--host", "127.0.0.1", "--port", str(free_port())),
        cwd=config.parent,  # no developer .env file there
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    try:
        port = await _bound_port(process.stdout)
        drain = asyncio.create_task(process.stdout.read())  # nothing may block on a full pipe
        yield f"127.0.0.1:{port}"
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()
    await drain


async def _bodies(
    fake: FakeOpenAI, targets: list[str], request: chat_pb2.ChatRequest
) -> list[bytes]:
    """The raw upstream body each gateway sends for `request`."""
    fake.reset()
    fake.set_default(Reply(text='{"zeta": "z"}'))  # valid against SCHEMA
    for target in targets:
        async with grpc.aio.insecure_channel(target) as channel:
            await gateway_pb2_grpc.ModelGatewayStub(channel).Chat(request, timeout=30)
    return [recorded.raw for recorded in fake.requests_to("/v1/chat/completions")]


@pytest.fixture(scope="module")
async def gateways(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[FakeOpenAI, list[str]]]:
    """A fake OpenAI and two gateway processes (hash seeds 1 and 2) in front of it."""
    async with FakeOpenAI() as fake:
        config = _config(tmp_path_factory.mktemp("gateways"), fake.url)
        async with _gateway(config, "1") as first, _gateway(config, "2") as second:
            yield fake, [first, second]


@pytest.mark.timeout(300)
async def test_json_text_fields_give_every_process_the_same_body_as_written(
    gateways: tuple[FakeOpenAI, list[str]],
) -> None:
    first, second = await _bodies(*gateways, _request(legacy=False))
    assert first == second
    assert json.dumps(SCHEMA).encode() in first  # the caller's property order, byte for byte


@pytest.mark.timeout(300)
async def test_deprecated_struct_fields_give_every_process_the_same_body_sorted(
    gateways: tuple[FakeOpenAI, list[str]],
) -> None:
    first, second = await _bodies(*gateways, _request(legacy=True))
    assert first == second
    sent = json.loads(first)["response_format"]["json_schema"]["schema"]["properties"]
    assert list(sent) == sorted(NAMES)
