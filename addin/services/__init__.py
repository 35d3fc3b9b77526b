"""Use cases: each takes the Container and plain values, and returns plain values."""
