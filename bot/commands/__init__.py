"""`/sco` subcommands: text → request → query → template name and context."""
