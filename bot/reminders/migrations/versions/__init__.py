"""One module per migration, oldest first (Alembic reads `revision` and `down_revision`)."""
