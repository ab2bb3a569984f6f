"""Result tables of the load scenarios: 1 (unary), 1b (providers), 2 (workers), 3 (streams,
TTFT probe, memory).
"""

from __future__ import annotations

from typing import Any

from bench.table import Table, errors_cell, load_cells, num, ok, ratio, signed


def load_tables(results: dict[str, Any]) -> list[Table]:
    """The tables of scenarios 1 to 3."""
    out: list[Table] = []
    out.append(
        Table(
            "1. Unary Chat: direct vs passthrough (the limit) vs modelgate",
            [
                "conc",
                "target",
                "req/s",
                "p50 ms",
                "p99 ms",
                "+p50 ms",
                "+p99 ms",
                "vs passthrough",
                "server CPU us/req",
                "checked",
            ],
            [
                [
                    str(r["concurrency"]),
                    r["target"],
                    *load_cells(r),
                    signed(r.get("added_p50_ms")),
                    signed(r.get("added_p99_ms")),
                    ratio(r.get("rps_vs_passthrough")),
                    num(r.get("server_cpu_us_per_req"), 0),
                    ok(r),
                ]
                for r in results.get("unary", [])
            ],
            "+p50/+p99: over the direct HTTP/1.1 call to the fake at the same concurrency. "
            "vs passthrough: req/s ratio.",
        )
    )
    providers = results.get("providers", [])
    if providers:
        out.append(
            Table(
                "1b. Unary Chat per provider backend: direct call vs through modelgate",
                [
                    "provider",
                    "conc",
                    "target",
                    "req/s",
                    "p50 ms",
                    "p99 ms",
                    "+p50 ms",
                    "+p99 ms",
                    "server CPU us/req",
                    "fake CPU us/req",
                    "checked",
                ],
                [
                    [
                        r["provider"],
                        str(r["concurrency"]),
                        r["target"],
                        *load_cells(r),
                        signed(r.get("added_p50_ms")),
                        signed(r.get("added_p99_ms")),
                        num(r.get("server_cpu_us_per_req"), 0),
                        num(r.get("fake_cpu_us_per_req"), 0),
                        ok(r),
                    ]
                    for r in providers
                ],
                "Each provider's fake (tests/fakes) called directly with the exact body modelgate "
                "sent, then through modelgate. The fakes are Python and differ in their own cost "
                "per request, so compare each provider's two rows, not providers with each other.",
            )
        )
    out.append(
        Table(
            "2. Throughput with --workers 1 and --workers 2",
            [
                "conc",
                "target",
                "workers",
                "req/s",
                "p50 ms",
                "p99 ms",
                "vs passthrough",
                "vs 1 worker",
                "CPU us/req",
                "checked",
            ],
            [
                [
                    str(r["concurrency"]),
                    r["target"],
                    str(r["workers"]),
                    *load_cells(r),
                    ratio(r.get("rps_vs_passthrough")),
                    ratio(r.get("rps_vs_1_worker")),
                    num(r.get("server_cpu_us_per_req"), 0),
                    ok(r),
                ]
                for r in results.get("workers", [])
            ],
        )
    )
    out.append(
        Table(
            "3. Streaming (upstream: TTFT {ttft} ms, {rate} tokens/s)".format(
                ttft=results.get("meta", {}).get("stream_ttft_ms", "?"),
                rate=results.get("meta", {}).get("stream_tokens_per_s", "?"),
            ),
            [
                "streams",
                "target",
                "done",
                "errors",
                "TTFT p50 ms",
                "TTFT p99 ms",
                "+TTFT p50",
                "+TTFT p99",
                "tok/s/stream p50",
                "vs direct",
                "tok/s total",
                "server CPU %",
                "CPU us/token",
            ],
            [
                [
                    str(r["streams"]),
                    r["target"],
                    num(r.get("completed")),
                    errors_cell(r),
                    num(r.get("ttft_p50_ms")),
                    num(r.get("ttft_p99_ms")),
                    signed(r.get("ttft_overhead_p50_ms")),
                    signed(r.get("ttft_overhead_p99_ms")),
                    num(r.get("tokens_per_s_per_stream_p50"), 1),
                    ratio(r.get("rate_vs_direct")),
                    num(r.get("tokens_per_s_total"), 0),
                    num(r.get("server_cpu_pct"), 0),
                    num(r.get("server_cpu_us_per_token"), 0),
                ]
                for r in results.get("streaming", [])
            ],
            "done: streams finished in the window. +TTFT: over the direct SSE call.",
        )
    )
    out.append(
        Table(
            "3a. TTFT probe: 1 stream, 2-token answers back to back (many samples)",
            [
                "upstream TTFT",
                "target",
                "streams done",
                "TTFT p50 ms",
                "TTFT p90 ms",
                "TTFT p99 ms",
                "+TTFT p50",
                "+TTFT p99",
                "checked",
            ],
            [
                [
                    r.get("upstream_ttft", "?"),
                    r["target"],
                    num(r.get("completed")),
                    num(r.get("ttft_p50_ms"), 3),
                    num(r.get("ttft_p90_ms"), 3),
                    num(r.get("ttft_p99_ms"), 3),
                    signed(r.get("ttft_overhead_p50_ms"), 3),
                    signed(r.get("ttft_overhead_p99_ms"), 3),
                    errors_cell(r) if r.get("errors") or "error" in r else "ok",
                ]
                for r in results.get("ttft_probe", [])
            ],
            "+TTFT: over the direct SSE call to the same upstream.",
        )
    )
    out.append(
        Table(
            "3b. Memory per open stream (fresh process, streams held open by a silent upstream)",
            [
                "target",
                "streams",
                "open at client",
                "open upstream",
                "RSS before MiB",
                "RSS held MiB",
                "KiB/stream",
            ],
            [
                [
                    r["target"],
                    num(r.get("streams")),
                    num(r.get("opened_at_client")),
                    num(r.get("open_upstream")),
                    num((r.get("rss_base_kib") or 0) / 1024, 1),
                    num((r.get("rss_held_kib") or 0) / 1024, 1),
                    num(r.get("kib_per_stream"), 1),
                ]
                if "error" not in r
                else [r["target"], "-", "-", "-", "-", "-", f"error: {r['error']}"]
                for r in results.get("memory", [])
            ],
            "open at client: streams whose first gRPC message arrived (the passthrough "
            "sends none before a token); open upstream: streams the fake holds.",
        )
    )
    return out
