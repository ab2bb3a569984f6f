"""The public names of `_async/`: the client class and its streams."""

from modelgate.client._async.client import AsyncModelGate
from modelgate.client._async.parsing import AsyncParseStream
from modelgate.client._async.streams import AsyncResponseStream, AsyncTextStream

__all__ = ["AsyncModelGate", "AsyncParseStream", "AsyncResponseStream", "AsyncTextStream"]
