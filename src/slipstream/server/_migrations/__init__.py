"""Alembic migrations of the control plane database (run through :class:`Database.upgrade`)."""
