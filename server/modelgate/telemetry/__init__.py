"""Traces, metrics and the server interceptor that records them."""
