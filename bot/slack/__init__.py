"""Slack: the Bolt app, its middleware and error handler, listeners by surface, HTTP."""
