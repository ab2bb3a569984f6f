"""Valid media files the fakes answer with: PNG images, WAV and MP3-framed audio.

Deterministic from a seed, so tests can compare the bytes the gateway relayed with the
bytes the fake made. Incompressible pixels make a big size a big file (chunking tests).
"""

from __future__ import annotations

import io
import random
import struct
import wave
import zlib

SAMPLE_RATE = 24_000
"""OpenAI's speech rate (16-bit mono PCM at 24 kHz)."""
MP3_FRAME_HEADER = b"\xff\xfb\x90\x64"
"""MPEG-1 Layer III, 128 kbit/s, 44.1 kHz: a frame of 417 bytes."""
MP3_FRAME_BYTES = 417


def png(width: int, height: int, seed: str) -> bytes:
    """An RGB PNG of `width` x `height` pseudo-random pixels (seeded)."""
    rows = random.Random(seed).randbytes(width * 3 * height)
    raw = b"".join(b"\x00" + rows[y * width * 3 : (y + 1) * width * 3] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 1))
        + chunk(b"IEND", b"")
    )


def wav(samples: int, seed: str = "") -> bytes:
    """A 16-bit mono WAV of `samples` frames at SAMPLE_RATE (silence, or noise when seeded)."""
    frames = random.Random(seed).randbytes(samples * 2) if seed else bytes(samples * 2)
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(SAMPLE_RATE)
        writer.writeframes(frames)
    return out.getvalue()


def wav_seconds(head: bytes, size: int) -> float | None:
    """Duration of a canonical 44-byte-header WAV of `size` bytes from its head, else None."""
    if len(head) < 44 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    byte_rate = struct.unpack("<I", head[28:32])[0]
    return max(size - 44, 0) / byte_rate if byte_rate else None


def mp3_frames(count: int) -> bytes:
    """`count` MP3-framed blocks: valid frame headers, silent payload."""
    return (MP3_FRAME_HEADER + bytes(MP3_FRAME_BYTES - 4)) * count
