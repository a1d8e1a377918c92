"""polyslot."""
