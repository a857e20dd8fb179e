"""Demo data: the top layer, free to use every domain (ADR 0018)."""
