"""Pure sync decisions (see README.md: nothing here does I/O)."""
