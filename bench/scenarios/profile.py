"""The profile runs: py-spy over the gateway under h2load, summarised by where CPU goes."""

from __future__ import annotations

import math
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.harness import Bench
from bench.procs import CpuWindow
from bench.profiling import analyse
from bench.scenarios.common import UnaryTargets
from bench.servers import Server
from bench.tools import Tool

# ------------------------------------------------------------------- profile
PROFILE_RATE = 250


def scenario_profile(
    bench: Bench, gw: Server, pt: Server, targets: UnaryTargets, pyspy: Tool
) -> dict[str, Any]:
    """py-spy (native stacks) on modelgate, then on the passthrough, under the same load.

    Unary: h2load drives Chat at concurrency 16. Streaming (full mode): the
    streaming client holds 100 streams. The upstream's request counter gives
    the calls (or tokens) served while py-spy sampled, and the process's CPU
    in the same window turns shares of busy samples into CPU microseconds per
    call (per token), so the two servers compare component by component.
    """
    if not pyspy.ok:
        return {"status": f"not run: {pyspy.error}"}
    out: dict[str, Any] = {
        "status": "ok",
        "seconds": bench.mode.profile_seconds,
        "rate": PROFILE_RATE,
    }
    for name, server, body in (
        ("modelgate", gw, targets.gw_body),
        ("passthrough", pt, targets.pt_body),
    ):
        summary = profile_one(bench, name, server, pyspy, load=h2load_argv(server, body))
        if summary.get("status") != "ok":
            return summary
        out[name] = summary
    if bench.mode.profile_streaming:
        streaming: dict[str, Any] = {"streams": 100, "words": bench.mode.stream_words}
        for name, server in (("modelgate", gw), ("passthrough", pt)):
            load = bench.python(
                "bench.stream_client",
                "load",
                "--kind",
                "grpc",
                "--target",
                server.target,
                "--model",
                "gpt-4o-stream",
                "--streams",
                "100",
                "--words",
                str(bench.mode.stream_words),
                "--duration",
                str(bench.mode.profile_seconds + 4),
            )
            streaming[name] = profile_one(
                bench,
                f"stream-{name}",
                server,
                pyspy,
                load=load,
                fake="stream",
                units_per_request=bench.mode.stream_words,
                settle=2.0,
            )
        out["streaming"] = streaming
    out.update({k: v for k, v in out["modelgate"].items() if k not in ("status",)})
    return out


def h2load_argv(
    server: Server, body: Path, headers: tuple[str, ...] = (), seconds: float = 60
) -> list[str]:
    argv = ["h2load", "-t1", "-c16", "-m1", f"-D{round(seconds * 1000)}ms", "-d", str(body)]
    for header in ("content-type: application/grpc", "te: trailers", *headers):
        argv += ["-H", header]
    argv.append(f"http://{server.target}/modelgate.v1.ModelGateway/Chat")
    return argv


def profile_one(
    bench: Bench,
    name: str,
    server: Server,
    pyspy: Tool,
    *,
    load: list[str],
    fake: str = "fast",
    units_per_request: int = 1,
    settle: float = 0.5,
) -> dict[str, Any]:
    """Sample `server` with py-spy while `load` (a command) drives it; stop the load after.

    CPU per unit = the server's CPU in the sampling window / upstream requests
    served in it x `units_per_request` (1 for unary calls, tokens for streams).
    """
    seconds = bench.mode.profile_seconds
    raw = bench.run_dir / f"profile-{name}.txt"
    upstream = bench.fakes[fake]
    bench.wait_quiet()
    driver = subprocess.Popen(
        load,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=bench.child_env(),
        cwd=bench.run_dir,
    )
    try:
        time.sleep(settle)
        before = upstream.counts()
        with CpuWindow({"server": server.pid}) as window:
            spy = subprocess.run(
                [
                    str(pyspy.bin("py-spy")),
                    "record",
                    "--pid",
                    str(server.pid),
                    "--duration",
                    f"{math.ceil(seconds)}",
                    "--rate",
                    str(PROFILE_RATE),
                    "--native",
                    "--full-filenames",
                    "--function",
                    "--format",
                    "raw",
                    "-o",
                    str(raw),
                ],
                capture_output=True,
                text=True,
                timeout=seconds + 60,
                check=False,
            )
        after = upstream.counts()
    finally:
        driver.terminate()
        try:
            driver.wait(10)
        except subprocess.TimeoutExpired:
            driver.kill()
            driver.wait()
    if spy.returncode != 0 or not raw.is_file():
        return {"status": f"py-spy failed: {(spy.stderr or spy.stdout).strip()[-300:]}"}
    if before is None or after is None:
        return {"status": "upstream request count missing: the fake's /bench/stats did not answer"}
    path = "/v1/chat/completions"
    units = (after.get(path, 0) - before.get(path, 0)) * units_per_request
    cpu_per_unit = window.used["server"] / units * 1e6 if units else 0.0
    summary = analyse(raw).summary(cpu_us_per_req=cpu_per_unit)
    summary.update(status="ok", raw=raw.name, requests=units, rps=round(units / window.wall))
    return summary
