"""Traces, metrics and the RPC middleware that records them."""
