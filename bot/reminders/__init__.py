"""Reminders: a pure plan, a ledger, and delivery through Slack's scheduler."""
