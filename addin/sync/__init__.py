"""Pure sync decisions (nothing here does I/O): recurrence rules, field merges, links,
occurrences, and the policy types they decide with.

May import: addin.domain only. Nothing else in addin imports into it."""
