"""Scenario 0, the limit: the least a grpc.aio gateway can do per call.

`python -m bench.passthrough --port P --route gpt-4o=http://127.0.0.1:8001/v1 ...`

A bare grpc.aio server (same server type, same generated servicer base and
message caps as modelgate) that turns each call into one raw aiohttp POST to
the upstream named by the request's model, with orjson, and answers with no
features at all: no validation, routing, retries, deadlines, cost, ids or
error mapping.

* Chat: the upstream's response bytes go back untouched as the text of one
  content part (no JSON parsing).
* StreamChat: each SSE chunk's `delta.content` becomes one text delta, then
  an empty end event.
* Embed: base64 vectors are decoded into the response, nothing else.

Every modelgate figure in the benchmark is quoted as a ratio to this server.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import base64
import os
import signal
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import grpc
import orjson
from typing_extensions import override

from modelgate.v1 import (
    chat_pb2,
    content_pb2,
    embedding_pb2,
    gateway_pb2_grpc,
    stream_pb2,
)

_ROLES = {
    content_pb2.ROLE_SYSTEM: "system",
    content_pb2.ROLE_USER: "user",
    content_pb2.ROLE_ASSISTANT: "assistant",
}
_KEY = "bench-key"


def _body(request: chat_pb2.ChatRequest | chat_pb2.StreamChatRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [
            {"role": _ROLES.get(m.role, "user"), "content": "".join(p.text for p in m.parts)}
            for m in request.messages
        ],
    }
    if request.generation.HasField("max_output_tokens"):
        body["max_tokens"] = request.generation.max_output_tokens
    return body


class Passthrough(gateway_pb2_grpc.ModelGatewayServicer):
    """Forward Chat, StreamChat and Embed; everything else is UNIMPLEMENTED."""

    def __init__(self, routes: dict[str, str]) -> None:
        self.routes = routes
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0),
                headers={"authorization": f"Bearer {_KEY}", "content-type": "application/json"},
                read_bufsize=1 << 16,
                max_line_size=1 << 20,
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _url(self, model: str, path: str) -> str:
        return self.routes.get(model, self.routes["*"]) + path

    @override
    async def Chat(self, request: chat_pb2.ChatRequest, context: Any) -> chat_pb2.ChatResponse:
        url = self._url(request.model, "/chat/completions")
        async with self.session().post(url, data=orjson.dumps(_body(request))) as response:
            raw = await response.read()
            if response.status != 200:
                await context.abort(grpc.StatusCode.UNAVAILABLE, f"upstream {response.status}")
        return chat_pb2.ChatResponse(content=[content_pb2.ContentPart(text=raw.decode())])

    @override
    async def StreamChat(
        self, request: chat_pb2.StreamChatRequest, context: Any
    ) -> AsyncIterator[chat_pb2.StreamChatResponse]:
        body = _body(request)
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
        url = self._url(request.model, "/chat/completions")
        Event, Delta = chat_pb2.StreamChatResponse, stream_pb2.TextDelta
        async with self.session().post(url, data=orjson.dumps(body)) as response:
            if response.status != 200:
                await context.abort(grpc.StatusCode.UNAVAILABLE, f"upstream {response.status}")
            async for line in response.content:
                if not line.startswith(b"data: "):
                    continue
                data = line[6:].strip()
                if data == b"[DONE]":
                    break
                for choice in orjson.loads(data).get("choices") or ():
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        yield Event(text_delta=Delta(text=text))
        yield Event(end=stream_pb2.StreamEnd())

    @override
    async def Embed(
        self, request: embedding_pb2.EmbedRequest, context: Any
    ) -> embedding_pb2.EmbedResponse:
        body: dict[str, Any] = {
            "model": request.model,
            "input": list(request.inputs),
            "encoding_format": "base64",
        }
        if request.HasField("dimensions"):
            body["dimensions"] = request.dimensions
        url = self._url(request.model, "/embeddings")
        async with self.session().post(url, data=orjson.dumps(body)) as response:
            raw = await response.read()
            if response.status != 200:
                await context.abort(grpc.StatusCode.UNAVAILABLE, f"upstream {response.status}")
        out = embedding_pb2.EmbedResponse()
        for item in orjson.loads(raw)["data"]:
            embedding = out.embeddings.add()
            embedding.index = item["index"]
            embedding.values.extend(array.array("f", base64.b64decode(item["embedding"])))
        return out


async def _serve(port: int, routes: dict[str, str]) -> None:
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", 16 * 1024 * 1024),
            ("grpc.max_send_message_length", 64 * 1024 * 1024),
        ]
    )
    servicer = Passthrough(routes)  # type: ignore[abstract]  # base answers UNIMPLEMENTED
    gateway_pb2_grpc.add_ModelGatewayServicer_to_server(servicer, server)
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    print(f"passthrough pid {os.getpid()} port {bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop(0.5)
    await servicer.aclose()


def main(argv: list[str] | None = None) -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.passthrough", description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--route",
        action="append",
        default=[],
        metavar="MODEL=BASE_URL",
        help="upstream base URL (ending in /v1) per model; '*' is the default",
    )
    args = parser.parse_args(argv)
    routes = dict(item.split("=", 1) for item in args.route)
    if "*" not in routes and routes:
        routes["*"] = next(iter(routes.values()))
    asyncio.run(_serve(args.port, routes))


if __name__ == "__main__":
    main()
