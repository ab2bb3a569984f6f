"""The bench run every scenario uses: starting servers under test, calls, measured runs.

A `Bench` owns the run directory, the child processes (stopped on exit) and
the fakes, and measures one load point at a time while recording the CPU each
process used, so results on a shared 2-core machine can be read as CPU per
request as well as requests per second.

Modes and shared constants are in modes.py, the servers' handles in servers.py.
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import yaml
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.load import GRPC_HEADERS, H2Result, check_grpc, grpc_frame, run_h2load
from bench.modes import NOISY_SHARE, QUIET_CPUS, ROOT, SERVICE, Mode
from bench.procs import CpuWindow, Proc, Processes, machine_cpu, tree_cpu_seconds
from bench.servers import Fake, Server, gateway_config
from tests.ports import free_port


@dataclass
class Bench:
    """One benchmark run."""

    mode: Mode
    run_dir: Path
    procs: Processes
    fakes: dict[str, Fake] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    quiet_waited: float = 0.0
    noisy_runs: int = 0
    retries: int = 0
    runs: int = 0
    _bodies: int = 0

    # ------------------------------------------------------------- shared machine
    def foreign_cpus(self, window: float = 0.25) -> float:
        """CPUs used by processes that are not ours over a short window."""

        def ours() -> float:
            me = resource.getrusage(resource.RUSAGE_SELF)
            kids = sum(tree_cpu_seconds(p.pid) for p in self.procs.procs)
            return me.ru_utime + me.ru_stime + kids

        busy0, _ = machine_cpu()
        ours0, t0 = ours(), time.perf_counter()
        time.sleep(window)
        busy1, _ = machine_cpu()
        ours1, t1 = ours(), time.perf_counter()
        return max(0.0, (busy1 - busy0) - (ours1 - ours0)) / (t1 - t0)

    def wait_quiet(self) -> float:
        """Wait (bounded) until other processes leave the CPUs alone; returns their CPUs."""
        limit = min(self.mode.quiet_wait, max(0.0, self.mode.quiet_budget - self.quiet_waited))
        start = time.monotonic()
        foreign = self.foreign_cpus(0.1)
        while foreign > QUIET_CPUS and time.monotonic() - start < limit:
            foreign = self.foreign_cpus(0.25)
        self.quiet_waited += time.monotonic() - start
        return foreign

    # ------------------------------------------------------------------ processes
    @staticmethod
    def child_env() -> dict[str, str]:
        """The environment of every child: no inherited gateway/OTel settings, loopback only."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELGATE_", "OTEL_"))}
        env.update(
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
            MODELGATE_LOG_LEVEL="WARNING",
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
        )
        return env

    def python(self, module: str, *args: str) -> list[str]:
        """argv running a module with the project interpreter."""
        return [sys.executable, "-m", module, *args]

    def start_fake(self, name: str, *timing: str, provider: str = "openai") -> Proc:
        """Start a fake upstream (does not wait)."""
        argv = self.python("bench.fake", "--provider", provider, "--port", "0", *timing)
        return self.procs.start(name, argv)

    def wait_fake(self, name: str, proc: Proc) -> Fake:
        """Wait for a started fake to print its URL."""
        fake = Fake(name, proc.first_line(30), proc)
        self.fakes[name] = fake
        return fake

    def gateway_config(self, overlay: dict[str, Any] | None = None) -> dict[str, Any]:
        """The catalog: one runtime per fake, models on them, the alias `pool`."""
        return gateway_config(self.fakes, overlay)

    def start_gateway(
        self,
        name: str,
        *,
        overlay: dict[str, Any] | None = None,
        workers: int = 1,
        env: dict[str, str] | None = None,
        wait: bool = True,
    ) -> Server:
        """Start `modelgate serve` with a generated config; wait for SERVING."""
        path = self.run_dir / f"{name}.yaml"
        path.write_text(yaml.safe_dump(self.gateway_config(overlay), sort_keys=False))
        port = free_port()
        argv = self.python(
            "modelgate.cli",
            "serve",
            "--config",
            str(path),
            "--port",
            str(port),
            "--workers",
            str(workers),
        )
        server = Server(name, port, self.procs.start(name, argv, env=env))
        if wait:
            self.wait_serving(server, workers)
        return server

    def wait_serving(self, server: Server, workers: int = 1) -> None:
        """Block until the gateway's health check says SERVING."""

        def serving() -> bool:
            with grpc.insecure_channel(server.target) as channel:
                stub = health_pb2_grpc.HealthStub(channel)
                reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
                return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)

        server.proc.wait_for(serving, 60, "health SERVING")
        if workers > 1:
            time.sleep(1.0)  # the other workers bind the same port moments later

    def start_passthrough(self, name: str = "passthrough") -> Server:
        """Start the scenario-0 server and wait for its banner."""
        port = free_port()
        routes = [
            f"gpt-4o={self.fakes['fast'].base}",
            f"text-embedding-3-small={self.fakes['fast'].base}",
            f"gpt-4o-stream={self.fakes['stream'].base}",
            f"gpt-4o-hold={self.fakes['hold'].base}",
        ]
        argv = self.python("bench.passthrough", "--port", str(port))
        for route in routes:
            argv += ["--route", route]
        server = Server(name, port, self.procs.start(name, argv))
        server.proc.first_line(30)
        return server

    # ----------------------------------------------------------------- calls
    def call(
        self,
        server: Server,
        method: str,
        request: Message,
        response_type: type[Message],
        *,
        metadata: Sequence[tuple[str, str]] = (),
        timeout: float = 30,
    ) -> tuple[Message | None, grpc.StatusCode, str]:
        """One unary call with a real gRPC client: (response, code, details)."""
        with grpc.insecure_channel(
            server.target, options=[("grpc.max_receive_message_length", 64 << 20)]
        ) as channel:
            stub = channel.unary_unary(
                SERVICE + method,
                request_serializer=type(request).SerializeToString,
                response_deserializer=response_type.FromString,
            )
            try:
                reply = stub(request, metadata=tuple(metadata), timeout=timeout)
            except grpc.RpcError as exc:
                return None, exc.code(), str(exc.details())
        return reply, grpc.StatusCode.OK, ""

    def body_file(self, data: bytes, stem: str) -> Path:
        """Write a request body for h2load."""
        self._bodies += 1
        path = self.run_dir / "bodies" / f"{self._bodies:03d}-{stem}"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        return path

    def grpc_body(self, request: Message, stem: str) -> Path:
        """h2load body file holding one gRPC frame."""
        return self.body_file(grpc_frame(request), stem + ".grpc")

    # ---------------------------------------------------------- measurement
    def measure_grpc(
        self,
        label: str,
        server: Server,
        method: str,
        body: Path,
        *,
        answer_bytes: int,
        concurrency: int,
        upstream_path: str | None = "/v1/chat/completions",
        expect_upstream: bool = True,
        headers: Sequence[str] = (),
        duration: float | None = None,
        fake: str = "fast",
    ) -> H2Result:
        """h2load against a gRPC server, with CPU accounting and the two gRPC checks."""
        result = self._h2load(
            label,
            f"http://{server.target}{SERVICE}{method}",
            body,
            headers=[*GRPC_HEADERS, *headers],
            concurrency=concurrency,
            watch={"server": server.pid},
            upstream_path=upstream_path,
            duration=duration,
            fake=fake,
        )
        expected = result.window_requests if expect_upstream and upstream_path else None
        check_grpc(result, answer_bytes, expected)
        return result

    def measure_http(
        self,
        label: str,
        url: str,
        body: Path,
        *,
        concurrency: int,
        upstream_path: str | None = "/v1/chat/completions",
        headers: Sequence[str] = (),
        watch: dict[str, int] | None = None,
        duration: float | None = None,
        fake: str = "fast",
    ) -> H2Result:
        """h2load over HTTP/1.1 with a JSON body (direct calls, LiteLLM)."""
        return self._h2load(
            label,
            url,
            body,
            headers=["content-type: application/json", *headers],
            concurrency=concurrency,
            watch=watch or {},
            h1=True,
            upstream_path=upstream_path,
            duration=duration,
            fake=fake,
        )

    def _h2load(
        self,
        label: str,
        url: str,
        body: Path,
        *,
        headers: Sequence[str],
        concurrency: int,
        watch: dict[str, int],
        h1: bool = False,
        upstream_path: str | None = None,
        duration: float | None = None,
        fake: str = "fast",
    ) -> H2Result:
        best: H2Result | None = None
        for attempt in range(1 + self.mode.noise_retries):
            if attempt:
                if self.retries >= self.mode.retry_budget:
                    break
                self.retries += 1
            self.wait_quiet()
            result = self._h2load_once(
                label,
                url,
                body,
                headers=headers,
                concurrency=concurrency,
                watch=watch,
                h1=h1,
                upstream_path=upstream_path,
                duration=duration,
                fake=fake,
            )
            self.runs += 1
            share = result.foreign_cpu_share()
            noisy = not math.isnan(share) and share > NOISY_SHARE
            self.noisy_runs += noisy
            if best is None or (not math.isnan(share) and share < best.foreign_cpu_share()):
                best = result
            if not noisy:
                break
        assert best is not None
        return best

    def _h2load_once(
        self,
        label: str,
        url: str,
        body: Path,
        *,
        headers: Sequence[str],
        concurrency: int,
        watch: dict[str, int],
        h1: bool,
        upstream_path: str | None,
        duration: float | None,
        fake: str,
    ) -> H2Result:
        upstream = self.fakes[fake]
        before = upstream.counts() if upstream_path else None
        children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        with CpuWindow({**watch, "fake": upstream.proc.pid}) as window:
            result = run_h2load(
                f"{label}-c{concurrency}",
                url,
                body,
                headers,
                concurrency=concurrency,
                duration=duration or self.mode.duration,
                warmup=self.mode.warmup,
                log_dir=self.run_dir,
                h1=h1,
            )
        children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if upstream_path:
            after = upstream.counts()
            if before is None or after is None:  # reported, never guessed
                result.checks.append(
                    f"upstream request count missing: the {fake} fake's /bench/stats did not answer"
                )
            else:
                result.window_requests = after.get(upstream_path, 0) - before.get(upstream_path, 0)
        result.window_s = window.wall
        result.cpu = dict(window.used)
        result.cpu["h2load"] = (
            children1.ru_utime + children1.ru_stime - children0.ru_utime - children0.ru_stime
        )
        result.machine_busy_cpu = window.machine_busy
        return result

    def stream_client(self, *args: str, timeout: float = 180) -> dict[str, Any]:
        """Run the streaming client process and parse its JSON."""
        argv = self.python("bench.stream_client", *args)
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.child_env(),
            cwd=self.run_dir,
            check=False,
        )
        if proc.returncode != 0:
            return {"error": proc.stderr.strip().splitlines()[-1:] or [f"exit {proc.returncode}"]}
        result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
        return result
