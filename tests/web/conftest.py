"""API fixtures: bearer headers for seeded sandbox users."""

from __future__ import annotations

AVA = "ava.martin@acme-sales.example"  # graph, Lightning
BEN = "ben.carter@acme-sales.example"  # graph, Classic
CLEO = "cleo.nguyen@acme-sales.example"  # google, Lightning
EVE = "eve.rossi@acme-sales.example"  # ews (Exchange Server), Lightning
