"""The access sink never blocks a call: a full queue drops lines and the next line says so."""

from __future__ import annotations

import json
from pathlib import Path

from modelgate.config import AccessLogConfig
from modelgate.telemetry.access_sink import AccessSink


def test_a_full_queue_drops_lines_and_the_next_queued_line_counts_them(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    sink = AccessSink(AccessLogConfig(file=path, queue_lines=1))  # no writer yet: a stall
    for n in range(3):
        sink.put({"time": 0.0, "n": n})  # the 2nd and 3rd find the queue full
    sink.start()
    sink.close()  # writes the queued line, then stops the writer
    sink.start()
    sink.put({"time": 0.0, "n": 3})
    sink.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["n"] for line in lines] == [0, 3]
    assert "dropped_before" not in lines[0] and lines[1]["dropped_before"] == 2


def test_a_file_is_rotated_at_its_size_and_keeps_its_backups(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    sink = AccessSink(AccessLogConfig(file=path, file_max_bytes=1024, file_backups=2))
    sink.start()
    for n in range(100):
        sink.put({"time": 0.0, "n": n, "pad": "x" * 100})
    sink.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["access.log", "access.log.1", "access.log.2"], "older ones deleted"
    assert all(p.stat().st_size <= 1024 for p in tmp_path.iterdir())
    last = json.loads(path.read_text().splitlines()[-1])
    assert last["n"] == 99 and last["logger"] == "modelgate.access"
