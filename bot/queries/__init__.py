"""Pure queries over the digest: they take `now` and never read the clock."""
