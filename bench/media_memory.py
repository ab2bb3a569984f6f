"""Gateway memory while relaying media: a 25 MB transcription upload and a long speech.

`uv run python -m bench.media_memory` starts `modelgate serve` (its own process, so its
RSS is the gateway's alone) in front of the OpenAI fake (tests/fakes, in this process
with the gRPC client), warms every media RPC once, then samples the gateway's RSS every
5 ms while it relays (1) WAV uploads of 5, 25 and 100 MiB to Transcribe, sent in 256 KiB
messages (the gateway's upload cap raised past OpenAI's 25 MB for the last), and (2)
Speak answers of 4,000, 20,000 and 80,000 characters (9, 46 and 183 MiB of WAV, relayed
as the fake produces them). It prints the peak RSS above the warmed baseline
beside the payload: a gateway that held bodies whole would grow with the payload (by at
least its size); a relaying one stays flat from the small payload to the large one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
import yaml

from bench.procs import Processes, port_open, rss_kib
from modelgate.v1 import audio_pb2
from modelgate.v1.gateway_pb2_grpc import ModelGatewayStub
from tests.ports import free_port

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub
from tests.fakes import FakeOpenAI
from tests.fakes.media_bytes import wav

MiB = 1 << 20
UPLOAD_SIZES = (5 * MiB, 25 * MiB, 100 * MiB)
"""25 MiB is OpenAI's cap; the bench raises the gateway's to show the trend past it."""
MESSAGE_BYTES = 256 * 1024
SPEECH_SIZES = (4_000, 20_000, 80_000)
SAMPLE_S = 0.005


def gateway_config(fake_url: str) -> dict[str, Any]:
    """The catalog: one OpenAI runtime on the fake, a transcription and a speech model."""
    return {
        "echo": False,
        "log_level": "WARNING",
        "server": {"host": "127.0.0.1", "grace_seconds": 1},
        "limits": {
            "speech_max_chars": max(SPEECH_SIZES),
            "media_max_upload_bytes": max(UPLOAD_SIZES),
        },
        "runtimes": {
            "openai": {"kind": "openai", "base_url": fake_url + "/v1", "api_key": "bench-key"}
        },
        "models": [
            {"id": "whisper-1", "runtime": "openai", "capabilities": ["transcription"]},
            {"id": "tts-1", "runtime": "openai", "capabilities": ["speech"]},
        ],
    }


class PeakRss:
    """Samples a process's RSS on a thread (the event loop is busy relaying)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(SAMPLE_S)

    @contextlib.contextmanager
    def watching(self) -> Iterator[PeakRss]:
        """Sample while the block runs."""
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()


async def transcribe(stub: ModelGatewayAsyncStub, audio: bytes) -> int:
    """Upload `audio` in MESSAGE_BYTES messages; the bytes the gateway says it relayed."""

    async def messages() -> AsyncIterator[audio_pb2.TranscribeRequest]:
        config = audio_pb2.TranscriptionConfig(
            model="whisper-1", filename="long.wav", audio_size_bytes=len(audio)
        )
        yield audio_pb2.TranscribeRequest(config=config)
        for start in range(0, len(audio), MESSAGE_BYTES):
            yield audio_pb2.TranscribeRequest(audio_chunk=audio[start : start + MESSAGE_BYTES])

    answer = await stub.Transcribe(messages(), timeout=300)
    return int(answer.audio_size_bytes)


async def speak(stub: ModelGatewayAsyncStub, chars: int) -> int:
    """Read a Speak answer of `chars` characters to its end, keeping none of it."""
    request = audio_pb2.SpeakRequest(
        model="tts-1", text="x" * chars, format=audio_pb2.AUDIO_FORMAT_WAV
    )
    received = 0
    async for event in stub.Speak(request, timeout=300):
        received += len(event.chunk)
    return received


def scenarios(stub: ModelGatewayAsyncStub) -> list[tuple[str, Callable[[], Awaitable[int]]]]:
    """Each relay at three sizes: bounded memory does not follow the size."""
    out: list[tuple[str, Callable[[], Awaitable[int]]]] = []
    for size in UPLOAD_SIZES:
        audio = wav((size - 44) // 2, seed="bench")
        out.append((f"transcribe {size // MiB} MiB upload", partial(transcribe, stub, audio)))
    for chars in SPEECH_SIZES:
        out.append((f"speak {chars} chars", partial(speak, stub, chars)))
    return out


async def measure(pid: int, run: Callable[[], Awaitable[int]]) -> tuple[int, int]:
    """(peak RSS KiB during `run`, payload bytes)."""
    with PeakRss(pid).watching() as rss:
        payload = await run()
    return rss.peak, payload


async def bench(repeats: int, *, fixed_mmap_threshold: bool) -> dict[str, Any]:
    """Start everything, measure, stop everything."""
    async with FakeOpenAI() as fake:
        fake.max_recorded = 10
        environment = dict(os.environ)
        with tempfile.TemporaryDirectory() as tmp, Processes(Path(tmp), environment) as procs:
            config = Path(tmp) / "gateway.yaml"
            config.write_text(yaml.safe_dump(gateway_config(fake.url)))
            port = free_port()
            argv = [sys.executable, "-m", "modelgate.cli", "serve", "--config", str(config)]
            env = {"MALLOC_MMAP_THRESHOLD_": str(128 * 1024)} if fixed_mmap_threshold else {}
            proc = procs.start("gateway", [*argv, "--port", str(port)], env=env)
            proc.wait_for(lambda: port_open(port), 60, "gateway port")
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                stub: ModelGatewayAsyncStub = ModelGatewayStub(channel)
                await transcribe(stub, wav(24_000))  # warm every path once
                await speak(stub, 100)
                await asyncio.sleep(0.5)
                baseline = rss_kib(proc.pid)
                rows = {}
                for name, run in scenarios(stub):
                    peaks, payload = [], 0
                    for _ in range(repeats):
                        peak, payload = await measure(proc.pid, run)
                        peaks.append(peak)
                    rows[name] = {
                        "payload_mib": round(payload / MiB, 1),
                        "peak_delta_mib": round((max(peaks) - baseline) / 1024, 1),
                        "peaks_kib": peaks,
                    }
    return {"baseline_rss_mib": round(baseline / 1024, 1), "repeats": repeats, "rows": rows}


def main(argv: list[str] | None = None) -> None:
    """Run and print a table (or JSON)."""
    parser = argparse.ArgumentParser(prog="python -m bench.media_memory", description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--fixed-mmap-threshold",
        action="store_true",
        help="run the gateway with MALLOC_MMAP_THRESHOLD_=131072: glibc then returns freed "
        "large blocks at once, so RSS shows live memory rather than the allocator's high water",
    )
    args = parser.parse_args(argv)
    result = asyncio.run(bench(args.repeats, fixed_mmap_threshold=args.fixed_mmap_threshold))
    if args.json:
        print(json.dumps(result, indent=1))
        return
    print(f"gateway RSS after warm-up: {result['baseline_rss_mib']} MiB")
    print(f"{'relay':<28} {'payload MiB':>12} {'peak RSS delta MiB':>19}")
    for name, row in result["rows"].items():
        print(f"{name:<28} {row['payload_mib']:>12} {row['peak_delta_mib']:>19}")


if __name__ == "__main__":
    main()
