"""Provider backends: one module per runtime kind, behind the `Backend` protocol."""
