"""The shipped tiktoken files: right bytes, and usable with no network."""

from __future__ import annotations

import hashlib

import pytest

from modelgate.providers.openai.tokens import SHIPPED_CACHE, encoding, encoding_for

URLS = {
    "cl100k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
    "o200k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    "p50k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/p50k_base.tiktoken",
        "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
    ),
}


@pytest.mark.parametrize("name", sorted(URLS))
def test_shipped_file_matches_tiktokens_pinned_hash(name: str) -> None:
    url, sha256 = URLS[name]
    path = SHIPPED_CACHE / hashlib.sha1(url.encode()).hexdigest()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha256


def test_encodings_load_offline_and_count_exactly() -> None:
    enc = encoding("o200k_base")
    assert enc.decode(enc.encode("hello world")) == "hello world"
    assert len(enc.encode_ordinary("hello world")) == 2
    assert encoding_for("gpt-4o") == "o200k_base"
    assert encoding_for("gpt-4") == "cl100k_base"
    assert encoding_for("llama3.2") is None
