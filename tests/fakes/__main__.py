"""Run one fake upstream standalone: `python -m tests.fakes openai --port 8001`.

Useful for poking the gateway by hand or from benchmarks without pytest; the
process prints the bound URL and serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any

from .anthropic_fake import FakeAnthropic
from .base import FakeServer
from .gemini_fake import FakeGemini
from .ollama_fake import FakeOllama
from .openai_fake import FakeOpenAI

PROVIDERS = ("openai", "lmstudio", "anthropic", "gemini", "ollama")


def build(args: argparse.Namespace) -> FakeServer:
    """The fake named on the command line, configured from the flags."""
    common: dict[str, Any] = {
        "latency_ms": args.latency_ms,
        "ttft_ms": args.ttft_ms,
        "tokens_per_s": args.tokens_per_s,
        "required_api_key": args.api_key,
    }
    models = [m for m in (args.models or "").split(",") if m]
    extra: dict[str, Any] = {"models": models} if models else {}
    if args.provider in ("openai", "lmstudio"):
        return FakeOpenAI(lmstudio=args.provider == "lmstudio" or args.lmstudio, **extra, **common)
    if args.provider == "anthropic":
        return FakeAnthropic(**extra, **common)
    if args.provider == "gemini":
        return FakeGemini(**extra, **common)
    return FakeOllama(**extra, **common)


async def serve(args: argparse.Namespace) -> None:
    """Start, print the URL, wait for a termination signal, stop cleanly."""
    fake = build(args)
    url = await fake.start(args.host, args.port)
    print(url, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await fake.stop()


def main(argv: list[str] | None = None) -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes", description=__doc__)
    parser.add_argument("provider", choices=PROVIDERS)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--ttft-ms", type=float, default=0.0)
    parser.add_argument("--tokens-per-s", type=float, default=0.0)
    parser.add_argument("--api-key", default=None, help="require this key (else 401)")
    parser.add_argument("--models", default=None, help="comma-separated model names")
    parser.add_argument("--lmstudio", action="store_true", help="openai: add /api/v0/models")
    asyncio.run(serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
