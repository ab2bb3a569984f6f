"""Google's Gemini API (kind "gemini"): request, response, stream, error and discovery mapping."""
