"""The sync client is generated from the async one, and the committed copy is fresh."""

from __future__ import annotations

import tokenize
from io import StringIO

from scripts.generate_sync_client import CLIENT, generate, sources, stale


def test_committed_sync_client_is_what_the_generator_makes() -> None:
    # Fails after an edit of _async/ or aio.py without scripts/generate-sync-client,
    # or after a hand edit of _sync/ or sync.py.
    expected = generate()
    assert [str(p.relative_to(CLIENT)) for p in stale(expected)] == []


def test_every_async_module_has_a_sync_twin_without_async_code() -> None:
    expected = generate()
    assert set(expected) == set(sources().values())
    assert set(expected) == {CLIENT / "sync.py", *(CLIENT / "_sync").glob("*.py")}
    for path, text in expected.items():
        assert text.startswith("# Generated from "), path
        names = {t.string for t in tokenize.generate_tokens(StringIO(text).readline)}
        leftovers = names & {"async", "await", "asyncio", "AsyncIO", "_async", "aclose"}
        assert not leftovers, (path, leftovers)


def test_an_edit_of_the_async_source_makes_the_sync_client_stale() -> None:
    # The freshness check compares content, so it cannot pass on a changed source.
    expected = generate()
    target = CLIENT / "_sync" / "client.py"
    changed = {**expected, target: expected[target] + "# an edit\n"}
    assert target in stale(changed)
