"""Which transport should the openai SDK use under gateway-like load? Measured, not assumed.

Runs N chat completions at fixed concurrency against the fake OpenAI server
through (a) AsyncOpenAI with its default httpx transport, (b) AsyncOpenAI with
DefaultAioHttpClient and (c) the gateway's raw aiohttp + orjson path, all in
one process, side by side. Usage: uv run python -m bench.sdk_transport [--calls N]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable

import openai

from modelgate.providers.base import CallContext
from modelgate.providers.http import HttpUpstream
from tests.fakes import FakeOpenAI

BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hello there"}]}


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


async def main(calls: int, concurrency: int) -> None:
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
        for name, one in paths.items():
            rate = await _measure(calls, concurrency, one)
            print(f"{name:24s} {rate:8.0f} req/s  (calls={calls}, concurrency={concurrency})")
        await httpx_client.close()
        await aiohttp_client.close()
        await raw.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.concurrency))
