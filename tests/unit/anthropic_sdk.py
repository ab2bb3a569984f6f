"""A fresh FakeAnthropic per test and the official anthropic SDK's client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anthropic
import pytest

from tests.fakes import FakeAnthropic
from tests.gateways import Fixture


def anthropic_sdk_fixtures() -> tuple[Fixture, Fixture]:
    """The fixtures `fake` and `client`, for the module that assigns them to those names
    (the SDK fidelity tests; a conftest here would reach every unit test).
    """

    @pytest.fixture
    async def fake() -> AsyncIterator[FakeAnthropic]:
        """A fake that accepts any key: these tests are about the wire format."""
        async with FakeAnthropic() as server:
            yield server

    @pytest.fixture
    async def client(fake: FakeAnthropic) -> AsyncIterator[anthropic.AsyncAnthropic]:
        """The SDK without retries, so a refusal shows as the SDK's error at once."""
        async with anthropic.AsyncAnthropic(base_url=fake.url, api_key="k", max_retries=0) as c:
            yield c

    return fake, client
