"""Scenario 4: the same load through a LiteLLM proxy (offline, its own venv) next to modelgate."""

from __future__ import annotations

import hashlib
import json
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

from bench.harness import Bench
from bench.load import H2Result, combine
from bench.modes import API_KEY
from bench.procs import Proc, http_get
from bench.scenarios.common import (
    _QUIET_UVICORN,
    UNARY_PROMPT,
    UnaryTargets,
    h2_row,
    measure_chat,
    print_progress,
    rounded,
)
from bench.servers import Server
from bench.tools import Tool
from tests.ports import free_port

# ------------------------------------------------------------------- 4. LiteLLM
LITELLM_MASTER_KEY = "sk-bench-" + hashlib.sha256(b"modelgate-bench").hexdigest()[:32]


def start_litellm(bench: Bench, tool: Tool) -> tuple[Proc | None, int, str]:
    """Start the LiteLLM proxy (offline, local cost map) on the fast fake; don't wait."""
    if not tool.ok:
        return None, 0, tool.error
    port = free_port()
    config = {
        "model_list": [
            {
                "model_name": "gpt-4o",
                "litellm_params": {
                    "model": "openai/gpt-4o",
                    "api_base": bench.fakes["fast"].base,
                    "api_key": API_KEY,
                },
            }
        ],
        "general_settings": {"master_key": LITELLM_MASTER_KEY},
        "litellm_settings": {"telemetry": False},
    }
    path = bench.run_dir / "litellm.yaml"
    path.write_text(json.dumps(config, indent=1))
    log_config = bench.run_dir / "litellm-logging.json"
    log_config.write_text(json.dumps(_QUIET_UVICORN))
    argv = [
        str(tool.bin("litellm")),
        "--config",
        str(path),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--num_workers",
        "1",
        "--log_config",
        str(log_config),
    ]
    env = {
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_MASTER_KEY": LITELLM_MASTER_KEY,
        "LITELLM_LOG": "ERROR",
        "LITELLM_TELEMETRY": "False",
        "PYTHONPATH": "",
    }
    return bench.procs.start("litellm", argv, env=env), port, ""


def scenario_litellm(
    bench: Bench,
    gw: Server,
    pt: Server,
    targets: UnaryTargets,
    started: tuple[Proc | None, int, str],
) -> dict[str, Any]:
    """LiteLLM proxy vs modelgate (and the passthrough) at the same concurrency."""
    proc, port, error = started
    info: dict[str, Any] = {"status": "ok", "rows": []}
    if proc is None:
        info["status"] = f"not run: {error}"
        return info
    url = f"http://127.0.0.1:{port}"
    auth = f"Bearer {LITELLM_MASTER_KEY}"
    try:
        proc.wait_for(
            lambda: http_get(url + "/health/liveliness", timeout=1) != b"",
            120,
            "/health/liveliness",
        )
        body = {"model": "gpt-4o", "messages": [{"role": "user", "content": UNARY_PROMPT}]}
        request = urllib.request.Request(
            url + "/v1/chat/completions",
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json", "authorization": auth},
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=30) as response:
            reply = json.loads(response.read())
        if reply["choices"][0]["message"]["content"] != UNARY_PROMPT:
            raise RuntimeError(f"unexpected LiteLLM answer: {reply}")
    except Exception as exc:  # report why, keep the rest of the run
        info["status"] = f"failed to start or answer: {exc}".splitlines()[0][:300]
        info["log_tail"] = proc.log_tail(8)
        bench.procs.stop(proc)
        return info
    info["version"] = _litellm_version(proc)
    body_file = bench.body_file(json.dumps(body).encode(), "litellm.json")
    # LiteLLM is slow for its first few hundred requests (lazy imports, caches): warm it.
    warm = ["h2load", "--h1", "-n150", "-c8", "-t1", "-d", str(body_file)]
    warm += ["-H", "content-type: application/json", "-H", f"authorization: {auth}"]
    subprocess.run(
        [*warm, url + "/v1/chat/completions"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    try:
        for c in bench.mode.litellm_concurrency:
            runs: dict[str, list[H2Result]] = {"litellm": [], "passthrough": [], "modelgate": []}
            for _ in range(bench.mode.litellm_repeats):
                runs["litellm"].append(
                    bench.measure_http(
                        "litellm",
                        url + "/v1/chat/completions",
                        body_file,
                        concurrency=c,
                        headers=(f"authorization: {auth}",),
                        watch={"server": proc.pid},
                        duration=max(bench.mode.duration, 2.0),
                    )
                )
                runs["passthrough"].append(
                    measure_chat(bench, "passthrough", pt, targets, c, passthrough=True)
                )
                runs["modelgate"].append(measure_chat(bench, "modelgate", gw, targets, c))
            lite, p, m = (combine(runs[k]) for k in ("litellm", "passthrough", "modelgate"))
            rows = [
                h2_row("LiteLLM proxy", lite, reference=p),
                h2_row("passthrough", p),
                h2_row("modelgate", m, reference=p),
            ]
            rows[2]["rps_vs_litellm"] = rounded(m.rps / lite.rps) if lite.rps else None
            info["rows"] += rows
            print_progress(rows)
    finally:
        bench.procs.stop(proc, grace=10)
    return info


def _litellm_version(proc: Proc) -> str:
    exe = Path(proc.popen.args[0])  # type: ignore[index,arg-type]
    python = exe.parent / "python"
    try:
        out = subprocess.run(
            [str(python), "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    except (subprocess.SubprocessError, OSError):
        return "?"
    return out.stdout.strip()
