"""Result tables of the scale and cost scenarios: 3c (TTFT breakdown), 4 (LiteLLM), 5
(payloads), 6 (feature prices) and the profiles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from bench.table import Row, Table, load_cells, num, ok, ratio, signed


def scale_tables(results: dict[str, Any]) -> list[Table]:
    """The tables of scenario 3c onwards and of the profile runs."""
    out: list[Table] = []
    lite = results.get("litellm", {})
    breakdown = results.get("ttft_breakdown")
    if isinstance(breakdown, list):
        out.append(ttft_breakdown_table(breakdown))
    out.append(
        Table(
            f"4. LiteLLM proxy {lite.get('version', '?')} (1 worker) vs modelgate (1 worker)",
            [
                "conc",
                "target",
                "req/s",
                "p50 ms",
                "p99 ms",
                "vs passthrough",
                "modelgate vs LiteLLM",
                "server CPU us/req",
                "checked",
            ],
            [
                [
                    str(r["concurrency"]),
                    r["target"],
                    *load_cells(r),
                    ratio(r.get("rps_vs_passthrough")),
                    ratio(r.get("rps_vs_litellm")),
                    num(r.get("server_cpu_us_per_req"), 0),
                    ok(r),
                ]
                for r in lite.get("rows", [])
            ],
            "" if lite.get("status", "ok") == "ok" else f"LiteLLM: {lite.get('status')}",
        )
    )
    out.append(
        Table(
            "5a. Payload scaling: chat prompts (answer capped at 16 tokens)",
            [
                "prompt",
                "target",
                "req/s",
                "p50 ms",
                "p99 ms",
                "+p50 ms",
                "vs passthrough",
                "server CPU us/req",
                "RSS after MiB",
                "RSS growth KiB/call",
                "checked",
            ],
            [
                [
                    r["prompt"],
                    r["target"],
                    *load_cells(r),
                    signed(r.get("added_p50_ms")),
                    ratio(r.get("rps_vs_passthrough")),
                    num(r.get("server_cpu_us_per_req"), 0),
                    num(r.get("rss_mib_after"), 0),
                    num(r.get("rss_growth_kib_per_call"), 1),
                    ok(r),
                ]
                for r in results.get("payload", [])
            ],
            "RSS growth: resident memory retained per call served (memory that stays after "
            "the calls ended).",
        )
    )
    out.append(
        Table(
            "5b. Payload scaling: embeddings (256-dim vectors)",
            [
                "inputs",
                "target",
                "req/s",
                "p50 ms",
                "p99 ms",
                "+p50 ms",
                "vs passthrough",
                "server CPU us/req",
                "checked",
            ],
            [
                [
                    str(r["inputs"]),
                    r["target"],
                    num(r["rps"], 1),
                    num(r["p50_ms"]),
                    num(r["p99_ms"]),
                    signed(r.get("added_p50_ms")),
                    ratio(r.get("rps_vs_passthrough")),
                    num(r.get("server_cpu_us_per_req"), 0),
                    ok(r),
                ]
                for r in results.get("embeddings", [])
            ],
        )
    )
    out.append(
        Table(
            "6. Price of each hot-path feature (on vs off, interleaved)",
            [
                "feature",
                "status",
                "req/s off",
                "req/s on",
                "throughput cost",
                "CPU us/req off -> on",
                "CPU cost",
                "p50 c=1 off -> on ms",
                "checked",
            ],
            [
                [
                    r["feature"],
                    r["status"],
                    num(r.get("rps_off"), 0),
                    num(r.get("rps_on"), 0),
                    (signed(r.get("throughput_cost_pct"), 1) + " %")
                    if r.get("throughput_cost_pct") is not None
                    else "-",
                    f"{num(r.get('cpu_us_per_req_off'), 0)} -> {num(r.get('cpu_us_per_req_on'), 0)}"
                    if "rps_off" in r
                    else "-",
                    (signed(r.get("cpu_cost_pct"), 1) + " %")
                    if r.get("cpu_cost_pct") is not None
                    else "-",
                    f"{num(r.get('p50_c1_off_ms'))} -> {num(r.get('p50_c1_on_ms'))}"
                    if "rps_off" in r
                    else "-",
                    ok(r) if "rps_off" in r else "-",
                ]
                for r in results.get("features", [])
            ],
            "throughput cost: the median over interleaved pairs of 1 - on/off req/s at "
            "concurrency {c}; CPU cost: on/off gateway CPU per call - 1 (steadier on a shared "
            "machine). Negative: faster with it on.".format(
                c=results.get("meta", {}).get("feature_concurrency", "?")
            ),
        )
    )
    profile = results.get("profile", {})
    if profile.get("status") == "ok" and "modelgate" in profile:
        mg, pt = profile["modelgate"], profile.get("passthrough", {})
        out.append(
            Table(
                "Profile of the unary hot path: modelgate vs passthrough (py-spy --native, c=16)",
                [
                    "component (innermost layer)",
                    "modelgate % busy",
                    "modelgate CPU us/call",
                    "passthrough CPU us/call",
                    "modelgate extra",
                    "modelgate % in syscalls",
                ],
                _component_rows(mg, pt),
                f"{mg['busy_samples']} busy of {mg['samples']} samples ({mg['requests']} calls) "
                f"for modelgate, {pt.get('busy_samples')} of {pt.get('samples')} "
                f"({pt.get('requests')} calls) for the passthrough, {profile['seconds']:g} s each "
                f"at {profile['rate']} Hz. CPU us/call = share of busy samples x the process's "
                "measured CPU per call in the same window (sampling slows the process, so "
                "absolute values are higher than in the load tables).",
            )
        )
        out.append(
            Table(
                "Profile: modelgate functions (inclusive)",
                ["function", "% busy", "CPU us/req"],
                [
                    [c["name"], num(c["pct"], 1), num(c.get("us_per_req"), 0)]
                    for c in mg["modelgate_inclusive"]
                ],
            )
        )
        out.append(
            Table(
                "Profile: hottest leaves in modelgate (self time)",
                ["frame", "% busy", "CPU us/req"],
                [[c["name"], num(c["pct"], 1), num(c.get("us_per_req"), 0)] for c in mg["leaves"]],
            )
        )
    out += _streaming_profile(profile)
    for feature in results.get("features", []):
        prof = feature.get("profile") or {}
        if prof.get("status") != "ok":
            continue
        total = (prof.get("feature_total") or [{}])[0]
        out.append(
            Table(
                f"Profile with {feature['feature']} on: where the extra time goes",
                ["function (telemetry/auth code only, inclusive)", "% busy", "CPU us/req"],
                [[c["name"], num(c["pct"], 1), num(c.get("us_per_req"), 0)] for c in [total]]
                + [
                    [c["name"], num(c["pct"], 1), num(c.get("us_per_req"), 0)]
                    for c in prof.get("feature_inclusive", [])
                ],
                "process CPU per call with the feature on: "
                f"{num(prof.get('cpu_us_per_req'), 0)} us "
                f"({prof.get('requests')} calls profiled at concurrency 16).",
            )
        )
    return out


def _component_rows(mg: dict[str, Any], pt: dict[str, Any]) -> list[list[str]]:
    pt_us = {c["name"]: c.get("us_per_req") for c in pt.get("components", [])}
    mg_by = {c["name"]: c for c in mg.get("components", [])}
    names = list(mg_by) + [n for n in pt_us if n not in mg_by]
    rows = []
    for name in names:
        mine = mg_by.get(name, {})
        theirs = pt_us.get(name)
        rows.append(
            [
                name,
                num(mine.get("pct"), 1),
                num(mine.get("us_per_req"), 0),
                num(theirs, 0),
                signed((mine.get("us_per_req") or 0) - (theirs or 0), 0),
                num(mine.get("syscall_pct"), 1),
            ]
        )
    mine_total, theirs_total = mg.get("cpu_us_per_req") or 0, pt.get("cpu_us_per_req") or 0
    rows.append(
        [
            "total (process CPU)",
            "100.0",
            num(mine_total, 0),
            num(theirs_total, 0),
            signed(mine_total - theirs_total, 0),
            "",
        ]
    )
    return rows


def _streaming_profile(profile: dict[str, Any]) -> list[Table]:
    streaming = profile.get("streaming") or {}
    mg, pt = streaming.get("modelgate") or {}, streaming.get("passthrough") or {}
    if mg.get("status") != "ok" or pt.get("status") != "ok":
        return []
    return [
        Table(
            f"Profile of the streaming hot path: {streaming['streams']} streams, "
            "CPU per token (py-spy --native)",
            [
                "component (innermost layer)",
                "modelgate % busy",
                "modelgate CPU us/token",
                "passthrough CPU us/token",
                "modelgate extra",
                "modelgate % in syscalls",
            ],
            _component_rows(mg, pt),
            f"{mg['requests']} tokens (modelgate) and {pt['requests']} tokens (passthrough) "
            "served while sampling.",
        ),
        Table(
            "Profile: modelgate functions on the streaming path (inclusive)",
            ["function", "% busy", "CPU us/token"],
            [
                [c["name"], num(c["pct"], 1), num(c.get("us_per_req"), 0)]
                for c in mg["modelgate_inclusive"]
            ],
        ),
    ]


def ttft_breakdown_table(rows: Sequence[Row]) -> Table:
    """The breakdown as a report table."""
    keys = ("client_send_ms", "request_ms", "upstream_ms", "response_ms", "client_receive_ms")
    return Table(
        "3c. Where the TTFT goes: 1 stream, 20 ms upstream TTFT, split at loopback packets (ms)",
        [
            "target",
            "streams",
            "TTFT p50",
            "client send",
            "gateway request path",
            "upstream",
            "gateway response path",
            "client receive",
        ],
        [
            [r["target"], str(r["streams"]), num(r.get("ttft_p50_ms"), 3)]
            + [num(r.get(key, math.nan), 3) for key in keys]
            for r in rows
        ],
        "Medians per stream (so the parts need not add up exactly to the TTFT median). "
        "Client send: the call's start to its first packet (direct: to the upstream request); "
        "request path: that packet to the upstream request; response path: the first upstream "
        "token to the token leaving the gateway; client receive: the rest. Kernel packet times "
        "(tcpdump) lined up with the client's wall-clock times.",
    )
