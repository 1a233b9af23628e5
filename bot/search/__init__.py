"""Question search: the digest's claims, events and source sentences in one full-text index."""
