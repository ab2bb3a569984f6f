# Generated from clients/python/modelgate/client/_async/__init__.py
# by scripts/generate-sync-client; do not edit.
"""The client, written once, async: `scripts/generate-sync-client` derives `_sync/` from it."""
