"""A fresh FakeOpenAI per test and the official openai SDK's client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai
import pytest

from tests.fakes import FakeOpenAI


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture
async def client(fake: FakeOpenAI) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(base_url=fake.url + "/v1", api_key="k", max_retries=0) as c:
        yield c
