"""Persistence: SQLAlchemy tables, queries and migrations (SQLite and PostgreSQL)."""
