"""The client, written once, async: `scripts/generate-sync-client` derives `_sync/` from it."""
