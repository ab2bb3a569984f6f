"""The gRPC surface: validation, the servicer and status mapping."""
