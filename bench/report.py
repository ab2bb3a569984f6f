"""Budget verdicts and the result tables (console text and Markdown)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Row = dict[str, Any]


# ------------------------------------------------------------------------ tables
@dataclass
class Table:
    """A titled table of already formatted cells."""

    title: str
    headers: Sequence[str]
    rows: list[list[str]]
    note: str = ""

    def text(self) -> str:
        """Aligned plain text."""
        widths = [len(h) for h in self.headers]
        for row in self.rows:
            widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
        lines = [self.title, "-" * len(self.title)]
        lines.append("  ".join(h.ljust(w) for h, w in zip(self.headers, widths, strict=True)))
        for row in self.rows:
            lines.append(
                "  ".join(
                    c.rjust(w) if _numeric(c) else c.ljust(w)
                    for c, w in zip(row, widths, strict=True)
                ).rstrip()
            )
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)

    def markdown(self) -> str:
        """GitHub-flavoured Markdown."""
        lines = [f"#### {self.title}", ""]
        lines.append("| " + " | ".join(self.headers) + " |")
        numeric = [
            sum(_numeric(row[i]) or row[i] == "-" for row in self.rows) > len(self.rows) / 2
            for i in range(len(self.headers))
        ]
        lines.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
        for row in self.rows:
            lines.append("| " + " | ".join(c.replace("|", "/") for c in row) + " |")
        if self.note:
            lines += ["", self.note]
        return "\n".join(lines)


_NUMERIC = re.compile(r"^[+-]?[\d,.]+( ?%|x| ms| KiB)?$")


def _numeric(cell: str) -> bool:
    return bool(_NUMERIC.match(cell))


def num(value: Any, digits: int = 2, prefix: str = "") -> str:
    """A number for a table cell ('-' when missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, int):
        return f"{prefix}{value}"
    if abs(value) >= 1000:
        return f"{prefix}{value:,.0f}"
    if abs(value) >= 100:
        return f"{prefix}{value:.0f}"
    return f"{prefix}{value:.{digits}f}"


def signed(value: Any, digits: int = 2) -> str:
    """A signed number ('+0.41')."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:+.{digits}f}"


def ratio(value: Any) -> str:
    """A ratio ('0.83x')."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.2f}x"


def ok(row: Row) -> str:
    """Verification cell."""
    if row.get("verified", True) and not row.get("checks"):
        return "ok"
    return "CHECK: " + "; ".join(row.get("checks", []))[:80]


def _load_cells(r: Row) -> list[str]:
    """req/s, p50 and p99 of one load row."""
    return [num(r["rps"], 0), num(r["p50_ms"]), num(r["p99_ms"])]


def tables(results: dict[str, Any]) -> list[Table]:
    """Every result table of a run."""
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
                    *_load_cells(r),
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
                        *_load_cells(r),
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
                    *_load_cells(r),
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
                    _errors(r),
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
                    _errors(r) if r.get("errors") or "error" in r else "ok",
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
                    *_load_cells(r),
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
                    *_load_cells(r),
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
            "throughput cost: 1 - on/off req/s at concurrency {c}; CPU cost: on/off gateway "
            "CPU per call - 1 (steadier on a shared machine). Negative: faster with it on.".format(
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


def _errors(row: Row) -> str:
    if "error" in row:
        return f"client failed: {row['error']}"
    errors = row.get("errors") or {}
    return ", ".join(f"{k}:{v}" for k, v in errors.items()) if errors else "0"


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


# ------------------------------------------------------------------------ budget
@dataclass
class Verdict:
    """One budget line."""

    line: str
    value: str
    limit: str
    status: str
    note: str = ""

    def json(self) -> dict[str, str]:
        """JSON-ready."""
        return self.__dict__.copy()


def _find(rows: Sequence[Row], **match: Any) -> Row | None:
    return next((r for r in rows if all(r.get(k) == v for k, v in match.items())), None)


def _check(
    line: str,
    row: Row | None,
    key: str,
    limit: float,
    *,
    at_most: bool,
    fmt: Callable[[float], str],
    missing: str = "n/a (not measured)",
) -> Verdict:
    limit_text = ("<= " if at_most else ">= ") + fmt(limit)
    if row is None or row.get(key) is None:
        return Verdict(line, "-", limit_text, "N/A", missing)
    value = float(row[key])
    good = value <= limit if at_most else value >= limit
    note = ""
    if row.get("checks") or row.get("verified") is False:
        good = False
        note = "measurement not verified: " + "; ".join(row.get("checks", []))
    return Verdict(line, fmt(value), limit_text, "PASS" if good else "FAIL", note)


def budget(results: dict[str, Any]) -> list[Verdict]:
    """The issue's budget lines, evaluated on one run's results."""
    unary = results.get("unary", [])
    lite = results.get("litellm", {})
    lite_rows = lite.get("rows", [])
    streaming = results.get("streaming", [])
    memory = results.get("memory", [])
    features = results.get("features", [])
    x = lambda v: f"{v:.2f}x"  # noqa: E731
    ms = lambda v: f"{v:.3f} ms"  # noqa: E731
    verdicts: list[Verdict] = []
    for c in (16, 64):
        verdicts.append(
            _check(
                f"unary Chat req/s >= 80% of passthrough at concurrency {c}",
                _find(unary, target="modelgate", concurrency=c),
                "rps_vs_passthrough",
                0.8,
                at_most=False,
                fmt=x,
            )
        )
    for c in (16, 64):
        verdicts.append(
            _check(
                f"unary Chat req/s >= 10x LiteLLM at concurrency {c}",
                _find(lite_rows, target="modelgate", concurrency=c),
                "rps_vs_litellm",
                10.0,
                at_most=False,
                fmt=x,
                missing="n/a (not measured)"
                if lite.get("status", "ok") == "ok"
                else f"n/a (LiteLLM {lite.get('status')})",
            )
        )
    c1 = _find(unary, target="modelgate", concurrency=1)
    verdicts.append(
        _check(
            "added latency p50 at concurrency 1 (over direct)",
            c1,
            "added_p50_ms",
            0.6,
            at_most=True,
            fmt=ms,
        )
    )
    verdicts.append(
        _check(
            "added latency p99 at concurrency 1 (over direct)",
            c1,
            "added_p99_ms",
            2.0,
            at_most=True,
            fmt=ms,
        )
    )
    probe = results.get("ttft_probe", [])
    ttft_row = (
        _find(probe, target="modelgate", upstream_ttft=probe[0].get("upstream_ttft"))
        if probe
        else None
    )
    ttft = _check(
        "streaming TTFT overhead p50 (1 stream, over direct SSE)",
        ttft_row or _find(streaming, target="modelgate", streams=1),
        "ttft_overhead_p50_ms",
        1.0,
        at_most=True,
        fmt=ms,
    )
    limit_row = (
        _find(probe, target="passthrough", upstream_ttft=probe[0].get("upstream_ttft"))
        if probe
        else _find(streaming, target="passthrough", streams=1)
    )
    if limit_row and "ttft_overhead_p50_ms" in limit_row and not ttft.note:
        ttft.note = (
            f"passthrough (the limit) in the same run: +{limit_row['ttft_overhead_p50_ms']:.3f} ms"
        )
    verdicts.append(ttft)
    verdicts.append(
        _check(
            "memory per open stream",
            _find(memory, target="modelgate"),
            "kib_per_stream",
            64.0,
            at_most=True,
            fmt=lambda v: f"{v:.1f} KiB",
        )
    )
    verdicts.append(_thousand_streams(streaming, memory))
    for prefix, line in (
        ("tracing (", "tracing throughput cost, every call traced"),
        ("tracing, 10%", "tracing throughput cost, 10% of root traces sampled"),
    ):
        verdicts.append(
            _tracing(line, next((f for f in features if f["feature"].startswith(prefix)), None))
        )
    return verdicts


def _tracing(line: str, row: Row | None) -> Verdict:
    if row is None or "rps_off" not in row:
        return Verdict(
            line, "-", "<= 10.0 %", "N/A", row["status"] if row else "n/a (not measured)"
        )
    if not row.get("active", True):
        value = f"{row['throughput_cost_pct']:.1f} %"
        return Verdict(line, value, "<= 10.0 %", "N/A", row["status"])
    verdict = _check(
        line, row, "throughput_cost_pct", 10.0, at_most=True, fmt=lambda v: f"{v:.1f} %"
    )
    if "cpu_cost_pct" in row and not verdict.note:
        verdict.note = f"gateway CPU per call {row['cpu_cost_pct']:+.1f} %"
    return verdict


def _thousand_streams(streaming: Sequence[Row], memory: Sequence[Row]) -> Verdict:
    line = "1,000 concurrent streams on one process without errors"
    load = _find(streaming, target="modelgate", streams=1000)
    hold = _find(memory, target="modelgate")
    if load is None and hold is None:
        return Verdict(line, "-", "0 errors", "N/A", "n/a (not measured)")
    problems = []
    if load is not None:
        if "error" in load:
            problems.append(f"client failed: {load['error']}")
        elif load.get("errors"):
            problems.append(f"load run errors {load['errors']}")
        elif not load.get("completed"):
            problems.append("no stream completed")
    if hold is not None:
        if "error" in hold:
            problems.append(f"hold client failed: {hold['error']}")
        elif hold.get("ended_early") or hold.get("opened_at_client", 0) < hold.get("streams", 0):
            problems.append(
                f"held: {hold.get('opened_at_client')} of {hold.get('streams')} open, "
                f"{hold.get('ended_early')} ended early"
            )
    value = "0 errors" if not problems else "; ".join(problems)
    return Verdict(line, value[:120], "0 errors", "FAIL" if problems else "PASS")


def budget_table(verdicts: Sequence[Verdict]) -> Table:
    """The budget as a table."""
    return Table(
        "Budget (ratios from this run)",
        ["budget line", "measured", "limit", "verdict", "note"],
        [[v.line, v.value, v.limit, v.status, v.note] for v in verdicts],
    )
