"""Alembic migrations of the product's schema (env.py, one module per revision in versions/):
run by `addin db upgrade` or by the first process to start. Imports only addin.store."""
