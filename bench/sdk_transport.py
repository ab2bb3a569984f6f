"""Which transport should the openai SDK use under gateway-like load? Measured, not assumed.

Runs N chat completions at fixed concurrency against the fake OpenAI server
through (a) AsyncOpenAI with its default httpx transport, (b) AsyncOpenAI with
DefaultAioHttpClient and (c) the gateway's raw aiohttp + orjson path, all in
one process, side by side; then the same for Responses API calls carrying a
conversation of `--turns` user/assistant pairs, where the SDK's request
transform walks every input item (issue 14: ~60 ms per call at 20 turns, which
is why `api: responses` models use the raw path too).
Usage: uv run python -m bench.sdk_transport [--calls N] [--turns T]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import openai

from modelgate.providers.base import CallContext
from modelgate.providers.http import HttpUpstream
from tests.fakes import FakeOpenAI

BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hello there"}]}


def responses_body(turns: int) -> dict[str, Any]:
    """A /responses body with `turns` earlier user/assistant pairs, typed as the gateway sends."""
    items: list[dict[str, Any]] = []
    for turn in range(turns):
        for role, kind in (("user", "input_text"), ("assistant", "output_text")):
            text = f"{role} turn {turn} with a few words"
            items.append(
                {"type": "message", "role": role, "content": [{"type": kind, "text": text}]}
            )
    items.append(
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
    )
    return {"model": "gpt-4o", "input": items}


async def _measure(calls: int, concurrency: int, one: Callable[[], Awaitable[object]]) -> float:
    for _ in range(50):
        await one()
    queue = iter(range(calls))

    async def worker() -> None:
        for _ in queue:
            await one()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return calls / (time.perf_counter() - started)


async def main(calls: int, concurrency: int, turns: int) -> None:
    """Print requests/s of each path."""
    async with FakeOpenAI() as fake:
        base = fake.url + "/v1"
        httpx_client = openai.AsyncOpenAI(base_url=base, api_key="k", max_retries=0)
        aiohttp_client = openai.AsyncOpenAI(
            base_url=base, api_key="k", max_retries=0, http_client=openai.DefaultAioHttpClient()
        )
        raw = HttpUpstream("openai", base, {"authorization": "Bearer k"})
        paths: dict[str, Callable[[], Awaitable[object]]] = {
            "sdk + httpx (default)": lambda: httpx_client.chat.completions.create(**BODY),  # type: ignore[call-overload]
            "sdk + aiohttp": lambda: aiohttp_client.chat.completions.create(**BODY),  # type: ignore[call-overload]
            "raw aiohttp + orjson": lambda: raw.post_json("/chat/completions", BODY, CallContext()),
        }
        conversation = responses_body(turns)
        paths |= {
            f"responses, sdk ({turns} turns)": lambda: aiohttp_client.responses.create(
                **conversation
            ),
            f"responses, raw ({turns} turns)": lambda: raw.post_json(
                "/responses", conversation, CallContext()
            ),
        }
        for name, one in paths.items():
            rate = await _measure(calls, concurrency, one)
            print(f"{name:28s} {rate:8.0f} req/s  (calls={calls}, concurrency={concurrency})")
        await httpx_client.close()
        await aiohttp_client.close()
        await raw.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--turns", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.concurrency, args.turns))
