"""`modelgate image`, `transcribe` and `speak` as an operator runs them against the zero-config
(echo) gateway in its own process: a valid PNG, a transcript, a playable WAV."""

from __future__ import annotations

import struct
import wave
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelgate.providers.wav import wav_header
from tests.integration.test_cli_commands import gateway_process, run_cli
from tests.waiting import PROCESS_TEST_TIMEOUT_S

pytestmark = pytest.mark.timeout(PROCESS_TEST_TIMEOUT_S)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with gateway_process("{}\n", tmp_path_factory.mktemp("media")) as (_process, address):
        yield address


def _ok(*args: str) -> str:
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_image_writes_a_valid_png(target: str, tmp_path: Path) -> None:
    out = tmp_path / "out.png"
    assert _ok(
        "image", "a lighthouse", "-o", str(out), "--size", "16x8", "--target", target
    ).strip() == str(out)
    png = out.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert (width, height, depth, colour) == (16, 8, 8, 2)
    length = int.from_bytes(png[33:37], "big")
    assert png[37:41] == b"IDAT"
    assert len(zlib.decompress(png[41 : 41 + length])) == height * (1 + 3 * width)


def test_transcribe_prints_what_the_echo_model_heard(target: str, tmp_path: Path) -> None:
    audio = tmp_path / "note.wav"
    audio.write_bytes(wav_header(48_000, rate=16_000) + bytes(48_000))
    assert (
        _ok("transcribe", str(audio), "--target", target)
        == "echo heard 1.50 s of audio (48044 bytes)\n"
    )


def test_speak_writes_a_playable_wav_whose_length_follows_the_text(
    target: str, tmp_path: Path
) -> None:
    out = tmp_path / "out.wav"
    _ok("speak", "hello there", "-o", str(out), "--target", target)
    with wave.open(str(out)) as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (
            16_000,
            1,
            2,
        )
        assert reader.getnframes() / reader.getframerate() == pytest.approx(11 * 0.05)
