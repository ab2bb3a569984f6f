"""Fixtures of the real-upstream tier: the servers, a gateway pointed at them, the SDKs.

Without MODELGATE_REAL_UPSTREAMS each module here skips itself (`skip_unless_running`), so the
README's test command stays fast and green. With it (scripts/real-upstreams sets it), a server
that is named but not answering fails the tests: a broken tier must never pass as skipped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.gateways import Served, serve
from tests.real_upstreams.catalog import SKIP_REASON, TINY_MODEL, Upstreams, from_env, tier_settings
from tests.real_upstreams.direct import Direct


@pytest.fixture(scope="session")
async def upstreams() -> Upstreams:
    """The running servers; each must answer now (the script waited for them to be ready)."""
    named = from_env()
    assert named is not None, SKIP_REASON
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        for url in (f"{named.llama}/health", f"{named.llama_embeddings}/health"):
            async with http.get(url) as answer:
                assert answer.status == 200, f"{url} answered {answer.status}"
        async with http.get(f"{named.litellm}/health/liveliness") as answer:
            assert answer.status == 200, f"LiteLLM answered {answer.status}"
    return named


@pytest.fixture(scope="session")
async def served(upstreams: Upstreams) -> AsyncIterator[Served]:
    """A real gateway on a loopback port with every backend kind pointed at the servers."""
    async with serve(tier_settings(upstreams)) as running:
        yield running


@pytest.fixture(scope="session")
async def llama(upstreams: Upstreams) -> AsyncIterator[Direct]:
    """The official SDKs on llama-server (generation)."""
    direct = Direct(upstreams.llama, "sk-unused", TINY_MODEL)
    yield direct
    await direct.aclose()


@pytest.fixture(scope="session")
async def llama_embeddings(upstreams: Upstreams) -> AsyncIterator[Direct]:
    """The official SDKs on llama-server (embeddings)."""
    direct = Direct(upstreams.llama_embeddings, "sk-unused", TINY_MODEL)
    yield direct
    await direct.aclose()


@pytest.fixture(scope="session")
async def litellm(upstreams: Upstreams) -> AsyncIterator[Direct]:
    """The official SDKs on LiteLLM proxy; tests pick the mock model per call."""
    direct = Direct(upstreams.litellm, upstreams.litellm_key, "mock-chat")
    yield direct
    await direct.aclose()
