"""CPU per call of the access log, in isolation: on the call's path, and in the writer thread.

`uv run --frozen python -m bench.access_log_cost` prints (best of 7, CPU time, so a busy
shared machine skews it far less than req/s):

- the call's path: `AccessLog.record` of a finished Chat (building the line and queueing
  it), the only part an RPC waits for; the sampled-out case (`sample_ratio` 0) too;
- the writer thread: formatting and writing one line, to a file (rotation checks
  included) and to stdout redirected to /dev/null.

`python -m bench.compare off='{}' on='{"access_log": {"enabled": true}}'` measures
the whole gateway side by side; this isolates the part the access log adds.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

from modelgate.config import AccessLogConfig
from modelgate.telemetry.access_log import AccessLog
from modelgate.v1 import chat_pb2

CALLS = 20_000


def _answer() -> chat_pb2.ChatResponse:
    done = chat_pb2.ChatResponse(model="gpt-4o", provider="openai", runtime="openai")
    done.usage.input_tokens, done.usage.output_tokens = 812, 64
    done.cost.total_usd = 0.000187
    return done


def _record_us(config: AccessLogConfig) -> float:
    """Best-of-7 CPU microseconds of `record` (the queue is emptied between repeats)."""
    log, done, best = AccessLog(config), _answer(), float("inf")
    for _ in range(7):
        started = time.process_time()
        for _ in range(CALLS):
            if not log.skips(False):
                log.record(
                    rpc="Chat",
                    requested="gpt-4o",
                    known=True,
                    key_id="team-a",
                    trace_id="",
                    started=0.0,
                    first_at=0.0,
                    status="OK",
                    reason="",
                    failure={},
                    done=done,
                )
        best = min(best, time.process_time() - started)
        log.sink._queue.queue.clear()
    return best / CALLS * 1e6


def _writer_us(config: AccessLogConfig) -> float:
    """CPU microseconds per line the writer thread spends (queued first, then drained)."""
    log, done = AccessLog(config), _answer()
    for _ in range(CALLS):
        log.record(
            rpc="Chat",
            requested="gpt-4o",
            known=True,
            key_id="team-a",
            trace_id="",
            started=0.0,
            first_at=0.0,
            status="OK",
            reason="",
            failure={},
            done=done,
        )
    started = time.process_time()
    log.start()
    log.close()  # drains the queue, then joins the thread
    return (time.process_time() - started) / CALLS * 1e6


def main() -> None:
    """Print the access log's cost per call."""
    queue = CALLS * 2
    print(f"record, logged:      {_record_us(AccessLogConfig(queue_lines=queue)):.2f} us per call")
    sampled = AccessLogConfig(queue_lines=queue, sample_ratio=0.0)
    print(f"record, sampled out: {_record_us(sampled):.2f} us per call")
    with tempfile.TemporaryDirectory() as folder:
        to_file = AccessLogConfig(queue_lines=queue, file=Path(folder) / "access.log")
        print(f"writer, file:        {_writer_us(to_file):.2f} us per line")
    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
        stdout = _writer_us(AccessLogConfig(queue_lines=queue))
    print(f"writer, stdout:      {stdout:.2f} us per line", file=sys.stdout)


if __name__ == "__main__":
    main()
