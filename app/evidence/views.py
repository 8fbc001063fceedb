"""Evidence pages."""

from app.evidence import bp  # noqa: F401
