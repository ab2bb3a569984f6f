"""A minimal OTLP/HTTP trace receiver for the tracing-cost scenario.

`python -m bench.otlp_sink --port 0` prints its URL, accepts
`POST /v1/traces` (protobuf ExportTraceServiceRequest), counts the spans and
answers an empty ExportTraceServiceResponse; `GET /stats` returns the counts,
so the benchmark can tell "tracing on and exporting" from "config key accepted
but nothing traced".
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from aiohttp import web
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2


class Sink:
    """Span counter."""

    def __init__(self) -> None:
        self.spans = 0
        self.requests = 0

    async def traces(self, request: web.Request) -> web.Response:
        """Count the spans of one export."""
        body = await request.read()
        message = trace_service_pb2.ExportTraceServiceRequest.FromString(body)
        self.requests += 1
        self.spans += sum(
            len(scope.spans) for rs in message.resource_spans for scope in rs.scope_spans
        )
        return web.Response(
            body=trace_service_pb2.ExportTraceServiceResponse().SerializeToString(),
            content_type="application/x-protobuf",
        )

    async def stats(self, request: web.Request) -> web.Response:
        """Counts so far."""
        return web.json_response({"spans": self.spans, "requests": self.requests})


async def _serve(port: int) -> None:
    sink = Sink()
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.add_routes([web.post("/v1/traces", sink.traces), web.get("/stats", sink.stats)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    print(f"http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.otlp_sink", description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(_serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
