"""Alembic's migrations of the ledger's database (`bot/reminders/migrate.py` runs them)."""
