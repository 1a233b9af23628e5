"""Rendering: templates + context → Block Kit messages (or terminal text)."""
