"""The knowledge digest: YAML → validated, frozen model, loaded once and held for readers."""
