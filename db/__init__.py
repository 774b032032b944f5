"""Database layer: typed SQLAlchemy models, engine/session helpers and Alembic migrations.

This package imports nothing from ``web`` or ``worker``.
"""
