"""CPU per call of the middleware's metrics recording, in isolation (timeit, best of 7).

`uv run --frozen python -m bench.metrics_record` prints the cost of recording one
finished Chat (status counter, GenAI duration, input and output token usage, cost) and
of one StreamChat (plus time to first token and time per output token). Compare
revisions by running it on each; the figures in CHANGELOG.md come from here.
"""

from __future__ import annotations

import time
import timeit

import grpc

from modelgate.telemetry.metrics import Metrics
from modelgate.telemetry.middleware import RpcMiddleware, _Call
from modelgate.v1 import chat_pb2

CALLS = 100_000


def per_call_us(middleware: RpcMiddleware, call: _Call, done: chat_pb2.ChatResponse) -> float:
    """Best-of-7 microseconds for one `_record` of a successful call."""
    best = min(
        timeit.repeat(
            lambda: middleware._record(call, grpc.StatusCode.OK, done), number=CALLS, repeat=7
        )
    )
    return best / CALLS * 1e6


def main() -> None:
    """Print the per-call cost of the metrics path for a unary and a streamed call."""
    middleware = RpcMiddleware(tracer=None, metrics=Metrics(), known_model=lambda _: True)
    done = chat_pb2.ChatResponse(model="gpt-4o", provider="openai")
    done.usage.input_tokens, done.usage.output_tokens = 10, 20
    done.cost.total_usd = 0.01
    unary = _Call("Chat", "gpt-4o", "gpt-4o", time.perf_counter())
    stream = _Call("StreamChat", "gpt-4o", "gpt-4o", time.perf_counter())
    stream.first_at = stream.started + 0.01
    print(f"Chat:       {per_call_us(middleware, unary, done):.2f} us per call")
    print(f"StreamChat: {per_call_us(middleware, stream, done):.2f} us per call")


if __name__ == "__main__":
    main()
