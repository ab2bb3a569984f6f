"""The installed gateway's version: what `--version` prints and the start-up record names.

Its own module, below everything, so the start-up summary needs no import of the CLI.
"""

from __future__ import annotations

from importlib import metadata


def version() -> str:
    """The installed distribution's version."""
    try:
        return metadata.version("modelgate")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown"
