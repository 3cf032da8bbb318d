"""One module per pipeline: its stages, the guards of its moves and its robots (DESIGN.md)."""
