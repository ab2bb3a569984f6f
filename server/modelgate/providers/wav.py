"""WAV headers: read one (how many bytes a second of its audio takes, where the data
starts) and write one, for the upload duration cap and the echo backend's audio.

Reading uses the stdlib `wave` on the first bytes of an upload only: `wave` stops at
the `data` chunk's header, so the audio itself is never needed (nor held).
"""

from __future__ import annotations

import io
import struct
import wave
from dataclasses import dataclass

HEADER_PREFIX_BYTES = 64 * 1024
"""Bytes of an upload enough to hold any reasonable WAV header (chunks before `data`)."""


@dataclass(frozen=True, slots=True)
class WavLayout:
    """What the header of a WAV file says about its audio."""

    data_offset: int
    """Where the samples start."""
    frame_bytes: int
    """Bytes of one frame (all channels of one sample)."""
    frame_rate: int
    """Frames per second."""

    def seconds(self, total_bytes: int) -> float:
        """Duration of the audio in a file of `total_bytes` (so far)."""
        frames = max(total_bytes - self.data_offset, 0) // self.frame_bytes
        return frames / self.frame_rate


def read_wav_header(prefix: bytes) -> WavLayout | None:
    """The layout of a WAV file from its first bytes; None when they are not a whole
    WAV header (another format, or too few bytes yet)."""
    if not prefix.startswith(b"RIFF") or prefix[8:12] != b"WAVE":
        return None
    stream = io.BytesIO(prefix)
    try:
        with wave.open(stream, "rb") as reader:
            frame_bytes = reader.getsampwidth() * reader.getnchannels()
            rate = reader.getframerate()
            offset = stream.tell()
    except (wave.Error, EOFError, struct.error, ValueError):
        return None
    if frame_bytes <= 0 or rate <= 0:
        return None
    return WavLayout(offset, frame_bytes, rate)


def wav_header(data_bytes: int, *, rate: int, channels: int = 1, sample_bytes: int = 2) -> bytes:
    """The canonical 44-byte header of a PCM WAV file whose samples take `data_bytes`."""
    block = channels * sample_bytes
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block, block, sample_bytes * 8)
        + b"data"
        + struct.pack("<I", data_bytes)
    )
