"""What the media methods answer and take, shared by the async and blocking clients."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from modelgate.v1 import image_pb2

UPLOAD_CHUNK_BYTES = 1 << 20
"""Bytes per upload message (1 MiB): far under gRPC's 4 MiB message cap."""


@dataclass
class GeneratedImage:
    """One generated image, its bytes joined from the streamed chunks."""

    index: int
    mime_type: str
    revised_prompt: str = ""
    data: bytes = b""

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the image to `path`; returns the path."""
        target = Path(path)
        target.write_bytes(self.data)
        return target


@dataclass
class ImageResult:
    """The images of one GenerateImage call and its end event (usage, cost, model)."""

    images: list[GeneratedImage] = field(default_factory=list)
    end: image_pb2.ImageGenerationEnd = field(default_factory=image_pb2.ImageGenerationEnd)

    def save(self, path: str | os.PathLike[str]) -> list[Path]:
        """Write the images: one to `path`, several to `name-1.ext`, `name-2.ext`, ..."""
        target = Path(path)
        if len(self.images) == 1:
            return [self.images[0].save(target)]
        return [
            image.save(target.with_name(f"{target.stem}-{i + 1}{target.suffix}"))
            for i, image in enumerate(self.images)
        ]


def file_name_of(audio: object, filename: str | None) -> str:
    """The upload's file name: given, else the path's, else "audio.wav"."""
    if filename:
        return filename
    if isinstance(audio, str | os.PathLike):
        return Path(audio).name
    return "audio.wav"


def size_of(audio: object) -> int:
    """Bytes the upload will send when known in advance (bytes or a file), else 0."""
    if isinstance(audio, bytes):
        return len(audio)
    if isinstance(audio, str | os.PathLike):
        return Path(audio).stat().st_size
    return 0


def file_chunks(path: str | os.PathLike[str]) -> Iterator[bytes]:
    """The file at `path` in upload-sized chunks, read one at a time (never whole)."""
    with Path(path).open("rb") as file:
        while chunk := file.read(UPLOAD_CHUNK_BYTES):
            yield chunk


def open_for_writing(path: str | os.PathLike[str]) -> BinaryIO:
    """`path` opened to receive streamed media bytes."""
    return Path(path).open("wb")
