"""Server-side extension hooks around every model call (redaction, auditing, vetoes)."""
