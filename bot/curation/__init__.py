"""The curator's workbench: add a source, draft its items, promote them, diff and review."""
