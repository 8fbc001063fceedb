"""Dashboard pages."""

from app.dashboard import bp  # noqa: F401
