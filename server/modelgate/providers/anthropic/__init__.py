"""Anthropic's Messages API (kind "anthropic"): request, response and stream conversion."""
