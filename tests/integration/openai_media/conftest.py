"""The OpenAI backend's media ability against a fresh FakeOpenAI per test (no gateway yet:
the backend is called directly, as the media layer calls it)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes import FakeOpenAI
from tests.integration.openai_media.support import Media, media_backend


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture
async def media(fake: FakeOpenAI) -> AsyncIterator[Media]:
    async with media_backend(fake) as backend:
        yield backend
