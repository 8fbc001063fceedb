"""Learning pages."""

from app.learning import bp  # noqa: F401
