"""A caller's `mypy --strict` catches misspelled request fields and keywords.

This needs the type information the client distribution declares (types-protobuf,
types-grpcio, typing-extensions), so it runs mypy as a caller would: on a file
outside the repository, with no project configuration, against the installed package.
"""

from __future__ import annotations

import re
from importlib.metadata import requires
from pathlib import Path

import mypy.api
import pytest

CALLER = """
from modelgate.client import AsyncModelGate, ModelGate
from modelgate.v1 import chat_pb2, generation_pb2


async def use(client: AsyncModelGate, blocking: ModelGate) -> None:
    await client.chat("echo", "hi", {temperature}=0.2, tags={{"team": "a"}})
    blocking.stream_chat("echo", "hi", {max_output_tokens}=5)
    await client.complete("echo", "p", {stop_sequences}=["x"])
    await client.chat("echo", "hi", reasoning={{"{budget_tokens}": 5, "effort": "high"}})
    chat_pb2.ChatRequest({model}="echo")
    config = generation_pb2.GenerationConfig()
    config.{top_p} = 0.3
"""
FIELDS = ["temperature", "max_output_tokens", "stop_sequences", "budget_tokens", "model", "top_p"]


def test_the_client_distribution_declares_its_type_information() -> None:
    requirements = requires("modelgate-client") or []
    declared = {re.split(r"[<>=;\[ ]", r, maxsplit=1)[0] for r in requirements}
    assert {"types-protobuf", "types-grpcio", "typing-extensions"} <= declared


@pytest.mark.typecheck
@pytest.mark.timeout(300)
def test_mypy_strict_flags_every_misspelled_field_and_only_those(tmp_path: Path) -> None:
    right = CALLER.format(**{f: f for f in FIELDS})
    wrong = CALLER.format(**{f: f[:-1] for f in FIELDS})  # temperatur=, max_output_token=, ...
    (tmp_path / "right.py").write_text(right)
    (tmp_path / "wrong.py").write_text(wrong)
    (tmp_path / "mypy.ini").write_text("[mypy]\n")
    stdout, stderr, status = mypy.api.run(
        [
            "--strict",
            "--config-file",
            str(tmp_path / "mypy.ini"),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-error-summary",
            str(tmp_path / "right.py"),
            str(tmp_path / "wrong.py"),
        ]
    )
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert status == 1, (stdout, stderr)
    assert not [e for e in errors if "right.py" in e]  # the correct caller type-checks clean
    flagged = [line.split(":")[1] for line in errors if "wrong.py" in line]
    pairs = zip(right.splitlines(), wrong.splitlines(), strict=True)
    expected = [str(number) for number, (a, b) in enumerate(pairs, start=1) if a != b]
    assert len(expected) == len(FIELDS)
    assert flagged == expected, stdout
