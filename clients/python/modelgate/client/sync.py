# Generated from clients/python/modelgate/client/aio.py
# by scripts/generate-sync-client; do not edit.
"""The public names of `_sync/`: the client class and its streams."""

from modelgate.client._sync.client import ModelGate
from modelgate.client._sync.parsing import ParseStream
from modelgate.client._sync.streams import ResponseStream, TextStream

__all__ = ["ModelGate", "ParseStream", "ResponseStream", "TextStream"]
