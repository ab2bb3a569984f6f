"""Raw aiohttp path or the google-genai SDK for the Gemini backend? Measured, not assumed.

Runs N generateContent calls (unary, then streamed) at fixed concurrency against
FakeGemini in one process through (a) the SDK's async client (its default aiohttp
transport, retries off) and (b) the gateway's path: the request the backend builds,
`HttpUpstream` and the backend's own parsing into proto (`Answer`, `StreamTranslator`).
Both read every part of every answer, so neither skips work the other does.
Usage: uv run --frozen python -m bench.gemini_paths [--calls N] [--concurrency C]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable

from google import genai
from google.genai import types

from bench.sdk_transport import _measure
from modelgate.providers.base import CallContext, Target
from modelgate.providers.gemini.request import chat_call
from modelgate.providers.gemini.response import Answer
from modelgate.providers.gemini.stream import StreamTranslator, translate
from modelgate.providers.http import HttpUpstream, sse_events
from modelgate.v1 import chat_pb2, content_pb2, model_pb2
from tests.fakes import FakeGemini

MODEL = "gemini-2.5-flash"
PROMPT = "tell me a story about a fox and a crow in twenty short words or so please now"


async def main(calls: int, concurrency: int) -> None:
    """Print calls/s of each path, unary and streamed."""
    async with FakeGemini() as fake:
        options = types.HttpOptions(
            base_url=fake.url,
            api_version="v1beta",
            retry_options=types.HttpRetryOptions(attempts=1),
        )
        sdk = genai.Client(api_key="bench-key-0123456789", http_options=options).aio
        raw = HttpUpstream("gemini", fake.url, {"x-goog-api-key": "bench-key-0123456789"})
        target = Target(record=model_pb2.Model(id=MODEL), upstream_name=MODEL)
        message = content_pb2.Message(
            role=content_pb2.ROLE_USER, parts=[content_pb2.ContentPart(text=PROMPT)]
        )
        request = chat_pb2.ChatRequest(model=MODEL, messages=[message])

        async def raw_unary() -> object:
            plan = chat_call(target, request, stream=False)
            body, _ = await raw.post_json(plan.path, plan.body, CallContext())
            return Answer("gemini", body).content

        async def raw_stream() -> object:
            plan = chat_call(target, request, stream=True)
            events = []
            async with raw.stream(plan.path, plan.body, CallContext()) as response:
                translator = StreamTranslator("gemini")
                async for event in translate(translator, sse_events(response, 1 << 22)):
                    events.append(event)
            return events

        async def sdk_unary() -> object:
            answer = await sdk.models.generate_content(model=MODEL, contents=PROMPT)
            return answer.text

        async def sdk_stream() -> object:
            return [
                c.text
                async for c in await sdk.models.generate_content_stream(
                    model=MODEL, contents=PROMPT
                )
            ]

        paths: dict[str, Callable[[], Awaitable[object]]] = {
            "unary, google-genai SDK": sdk_unary,
            "unary, raw aiohttp + orjson": raw_unary,
            "stream, google-genai SDK": sdk_stream,
            "stream, raw aiohttp + orjson": raw_stream,
        }
        for name, one in paths.items():
            rate = await _measure(calls, concurrency, one)
            print(f"{name:32} {rate:8.0f} calls/s")
        await raw.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    started = time.perf_counter()
    asyncio.run(main(args.calls, args.concurrency))
    print(f"({time.perf_counter() - started:.0f} s)")
