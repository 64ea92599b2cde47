"""Alembic migrations of the results store (run by ``esgcheck.store``, never by hand)."""
