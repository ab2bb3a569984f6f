"""Model catalog, aliases and the call path to backends (retries, fallbacks, breakers)."""
