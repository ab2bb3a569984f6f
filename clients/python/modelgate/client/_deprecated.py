"""The client names before `AsyncModelGate` / `ModelGate`, kept for one release.

Each is a subclass marked `@deprecated` (PEP 702): type checkers that report
deprecations flag its use (mypy with `--enable-error-code deprecated`, pyright),
and making one warns with DeprecationWarning at run time.
"""

from __future__ import annotations

from typing_extensions import deprecated

from modelgate.client.aio import AsyncModelGate
from modelgate.client.sync import ModelGate

__all__ = ["ModelGateClient", "SyncModelGateClient"]


@deprecated("ModelGateClient is renamed AsyncModelGate; the old name goes in the next release")
class ModelGateClient(AsyncModelGate):
    """Deprecated name of `AsyncModelGate`."""


@deprecated("SyncModelGateClient is renamed ModelGate; the old name goes in the next release")
class SyncModelGateClient(ModelGate):
    """Deprecated name of `ModelGate`."""
