"""Scenario 6: the price of each hot-path feature, data-driven by `FEATURES`.

To add a feature, append a `Feature` with the config key that turns it on, the overlay,
any request metadata and a `verify` function that proves it is active.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from bench.harness import Bench
from bench.load import H2Result, alternating_pairs, combine, paired_cost_pct
from bench.procs import Proc
from bench.scenarios.common import (
    UNARY_PROMPT,
    Row,
    UnaryTargets,
    answer_size,
    chat_request,
    gateway_name,
    measure_chat,
    print_progress,
    rounded,
)
from bench.scenarios.feature_checks import (
    FeatureRun,
    verify_alias,
    verify_auth,
    verify_cache,
    verify_metrics,
    verify_production,
    verify_tracing,
)
from bench.scenarios.profile import h2load_argv, profile_one
from bench.servers import Server
from bench.tools import Tool
from modelgate.config import Settings
from modelgate.v1 import chat_pb2, generation_pb2
from tests.ports import free_port


# ------------------------------------------------------------- 6. feature prices
@dataclass
class Feature:
    """One hot-path feature, measured only when its config key exists.

    `keys`: dotted paths into `Settings`; the first that exists selects the
    overlay of the same index. A feature with an empty overlay and no sink or
    metrics port runs on the baseline gateway itself (only the request differs).
    `verify` returns "" when the feature is visibly active, else why not.
    """

    name: str
    keys: tuple[str, ...]
    overlays: tuple[dict[str, Any], ...] = ()
    model: str = "gpt-4o"
    metadata: tuple[tuple[str, str], ...] = ()
    tweak: Callable[[chat_pb2.ChatRequest], None] | None = None
    needs_sink: bool = False
    needs_metrics_port: bool = False
    expect_upstream: bool = True
    verify: Callable[[Bench, FeatureRun], str] | None = None
    budget_pct: float | None = None
    spans_per_call: int = 0
    """With every call traced: 2 (a SERVER and a CLIENT span), and the sink must count
    them all (issue 20's "the OTLP receiver counting every span")."""


AUTH_KEY = "bench-caller-key"
AUTH = {
    "enabled": True,
    "keys": [{"id": "bench", "sha256": hashlib.sha256(AUTH_KEY.encode()).hexdigest()}],
}
"""The `auth` overlay: one key, AUTH_KEY."""


def _cacheable(request: chat_pb2.ChatRequest) -> None:
    request.cache_control.mode = generation_pb2.CACHE_MODE_USE
    request.cache_control.allow_sampled = True


FEATURES: tuple[Feature, ...] = (
    Feature(
        "tracing (OTLP export)",
        keys=("telemetry.tracing",),
        overlays=({"telemetry": {"tracing": "otlp"}},),
        needs_sink=True,
        verify=verify_tracing,
        budget_pct=10.0,
        spans_per_call=2,
    ),
    Feature(
        "tracing, 10% of root traces sampled",
        keys=("telemetry.trace_sample_ratio",),
        overlays=({"telemetry": {"tracing": "otlp", "trace_sample_ratio": 0.1}},),
        needs_sink=True,
    ),
    Feature(
        "tracing on, no root trace sampled (the fixed cost)",
        keys=("telemetry.trace_sample_ratio",),
        overlays=({"telemetry": {"tracing": "otlp", "trace_sample_ratio": 0.0}},),
        needs_sink=True,
    ),
    Feature(
        "auth (API key)",
        keys=("auth.enabled",),
        overlays=({"auth": AUTH},),
        metadata=(("authorization", f"Bearer {AUTH_KEY}"),),
        verify=verify_auth,
    ),
    Feature(
        "metrics (Prometheus)",
        keys=("telemetry.metrics",),
        overlays=({"telemetry": {"metrics": True}},),
        needs_metrics_port=True,
        verify=verify_metrics,
    ),
    Feature(
        "tracing + metrics + auth (the production setting)",
        keys=("telemetry.tracing",),
        overlays=(
            {
                "telemetry": {"tracing": "otlp", "metrics": True},
                "auth": AUTH,
            },
        ),
        metadata=(("authorization", f"Bearer {AUTH_KEY}"),),
        needs_sink=True,
        needs_metrics_port=True,
        verify=verify_production,
        spans_per_call=2,
    ),
    Feature(
        "cache hit",
        # The memory cache is always there; callers ask for it per request.
        keys=("state.cache_entries", "cache", "state.cache"),
        overlays=({}, {"cache": {"enabled": True}}, {"state": {"cache": {"enabled": True}}}),
        tweak=_cacheable,
        expect_upstream=False,
        verify=verify_cache,
    ),
    Feature(
        "routing through an alias",
        keys=("aliases",),
        overlays=({},),
        model="pool",
        verify=verify_alias,
    ),
)


def config_key_exists(path: str) -> bool:
    """True when `Settings` has the dotted field path (e.g. `telemetry.tracing`)."""
    model: type[BaseModel] | None = Settings
    for part in path.split("."):
        if model is None or part not in model.model_fields:
            return False
        annotation = model.model_fields[part].annotation
        model = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
    return True


def scenario_features(
    bench: Bench, gw: Server, targets: UnaryTargets, pyspy: Tool | None = None
) -> list[Row]:
    """Each present feature on vs off, interleaved (its own gateway process when needed).

    Every feature's gateway is started up front, in parallel, so the start-up
    cost is paid once; idle gateways use no CPU while another one is measured.
    A feature on its own gateway is compared with a twin started at the same
    time with the baseline config, not with the long-running baseline gateway:
    same-age processes (same heap, same conversation-store fill).
    """
    rows: list[Row] = []
    setups: list[tuple[Feature, FeatureRun | str]] = []
    extra: list[Proc] = []
    twin = bench.start_gateway("modelgate-feature-off", wait=False)
    extra.append(twin.proc)
    try:
        for feature in FEATURES:
            index = next((i for i, k in enumerate(feature.keys) if config_key_exists(k)), None)
            if index is None:
                setups.append((feature, "n/a (feature not present)"))
                continue
            try:
                started = _start_feature(bench, gw, feature, index, extra)
            except Exception as exc:  # one feature must not sink the run
                setups.append((feature, f"n/a ({type(exc).__name__}: {exc})"[:300]))
                continue
            setups.append((feature, started))
        bench.wait_serving(twin)
        for i, (feature, setup) in enumerate(setups):
            if isinstance(setup, FeatureRun) and setup.server is not gw:
                setups[i] = (feature, _serving(bench, gw, feature, setup, extra))
        for feature, setup in setups:
            if isinstance(setup, str):
                row: Row = {"feature": feature.name, "status": setup}
            else:
                off = twin if setup.server is not gw else gw
                try:
                    row = _measure_feature(
                        bench, off, targets=targets, feature=feature, run=setup, pyspy=pyspy
                    )
                except Exception as exc:
                    row = {"feature": feature.name, "status": f"n/a ({exc})"[:300]}
                if setup.server is not gw:
                    bench.procs.stop(setup.server.proc)
            rows.append(row)
            print_progress(rows[-1:])
    finally:
        for _, setup in setups:
            if isinstance(setup, FeatureRun) and setup.server is not gw:
                bench.procs.stop(setup.server.proc)
        for proc in extra:
            bench.procs.stop(proc)
    return rows


def _serving(
    bench: Bench, gw: Server, feature: Feature, run: FeatureRun, extra: list[Proc]
) -> FeatureRun | str:
    """`run` once SERVING; once more if it exited (a port taken before it bound); else n/a."""
    for attempt in (1, 2):
        try:
            bench.wait_serving(run.server)
            return run
        except RuntimeError as exc:
            if attempt == 2 or run.server.proc.alive():  # alive: it timed out, no retry
                return f"n/a ({exc})"[:300]
            index = next(i for i, k in enumerate(feature.keys) if config_key_exists(k))
            run = _start_feature(bench, gw, feature, index, extra)
    raise AssertionError("unreachable")


def _start_feature(
    bench: Bench, gw: Server, feature: Feature, index: int, extra: list[Proc]
) -> FeatureRun:
    """Start what the feature needs (sink, gateway) without waiting for the gateway."""
    request = chat_request(feature.model, UNARY_PROMPT)
    if feature.tweak is not None:
        feature.tweak(request)
    run = FeatureRun(gw, request, feature.metadata)
    overlay = dict(feature.overlays[index]) if feature.overlays else {}
    env: dict[str, str] = {}
    if feature.needs_sink:
        sink = bench.procs.start("otlp-sink", bench.python("bench.otlp_sink"))
        extra.append(sink)
        run.sink = sink.first_line(30)
        env = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": run.sink,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_SERVICE_NAME": "modelgate-bench",
        }
    if feature.needs_metrics_port:
        run.metrics_port = free_port()
        telemetry = {**overlay.get("telemetry", {}), "metrics_port": run.metrics_port}
        overlay = {**overlay, "telemetry": telemetry}
    if overlay or env:
        name = gateway_name(feature.name)
        run.server = bench.start_gateway(name, overlay=overlay, env=env, wait=False)
    return run


def _measure_feature(
    bench: Bench,
    baseline: Server,
    *,
    targets: UnaryTargets,
    feature: Feature,
    run: FeatureRun,
    pyspy: Tool | None,
) -> Row:
    server, request = run.server, run.request
    reply, code, details = bench.call(
        server, "Chat", request, chat_pb2.ChatResponse, metadata=feature.metadata
    )
    if reply is None:
        return {"feature": feature.name, "status": f"n/a (call failed: {code.name} {details})"}
    on_body = bench.grpc_body(request, "feature")
    headers = tuple(f"{k}: {v}" for k, v in feature.metadata)
    on_bytes = answer_size(reply)

    def off_at(c: int) -> H2Result:
        return measure_chat(bench, "feature-off", baseline, targets, c)

    def on_at(c: int) -> H2Result:
        return bench.measure_grpc(
            "feature-on",
            server,
            "Chat",
            on_body,
            answer_bytes=on_bytes,
            concurrency=c,
            headers=headers,
            expect_upstream=feature.expect_upstream,
        )

    c, mode = bench.mode.feature_concurrency, bench.mode
    repeats = mode.feature_repeats if feature.budget_pct is None else mode.budget_repeats
    off_runs, on_runs = alternating_pairs(repeats, lambda: off_at(c), lambda: on_at(c))
    off, on = combine(off_runs), combine(on_runs)
    singles = (off_at(1), on_at(1)) if mode.feature_latency else None
    run.spans_expected = feature.spans_per_call * sum(r.window_requests for r in on_runs)
    problem = feature.verify(bench, run) if feature.verify else ""
    cost, pairs = paired_cost_pct(off_runs, on_runs)
    row: Row = {
        "feature": feature.name,
        "status": "measured" if not problem else f"measured, but {problem}",
        "active": not problem,
        "concurrency": c,
        "rps_off": rounded(off.rps, 1),
        "rps_on": rounded(on.rps, 1),
        "throughput_cost_pct": rounded(cost, 1),
        "pair_costs_pct": [rounded(pair, 1) for pair in pairs],
        "cpu_us_per_req_off": rounded(off.cpu_us_per_request("server"), 1),
        "cpu_us_per_req_on": rounded(on.cpu_us_per_request("server"), 1),
        "cpu_cost_pct": rounded(
            100 * (on.cpu_us_per_request("server") / off.cpu_us_per_request("server") - 1), 1
        ),
        "budget_pct": feature.budget_pct,
    }
    if run.spans_expected:
        row.update(spans_expected=run.spans_expected, spans_at_sink=run.spans_counted)
    measured = [off, on, *(singles or ())]
    if singles is not None:
        row.update(
            p50_c1_off_ms=rounded(singles[0].p50_ms),
            p50_c1_on_ms=rounded(singles[1].p50_ms),
            added_p50_c1_ms=rounded(singles[1].p50_ms - singles[0].p50_ms),
        )
    row["verified"] = all(r.verified for r in measured)
    checks = sorted({check for r in measured for check in r.checks})
    if checks:
        row["checks"] = checks
    if cost > 10 and bench.mode.profile_features and pyspy is not None and pyspy.ok:
        label = f"feature-{feature.name.split()[0]}"
        load = h2load_argv(server, on_body, headers)
        row["profile"] = profile_one(bench, label, server, pyspy, load=load)
    return row
