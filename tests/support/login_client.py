"""The test client: can start logged in, and keeps requests independent.

- Flask-Login's own FlaskLoginClient sets the user id but not the session
  identifier that ``session_protection = "strong"`` checks, so every request
  would log out; this one sets both.
- Tests hold an app context open (to use the database), and Flask reuses it
  for each request, so ``g`` (where Flask-Login caches the current user)
  would leak from one request, or client, to the next. Each request starts
  with a clean ``g``, as it does in production.
"""

from __future__ import annotations

from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_login.utils import _create_identifier


class LoginClient(FlaskClient):
    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            with self.application.test_request_context(environ_base=self.environ_base):
                identifier = _create_identifier()
            with self.session_transaction() as session:
                session["_user_id"] = user.get_id()
                session["_fresh"] = True
                session["_id"] = identifier

    def open(self, *args, **kwargs):
        self._reset_request_globals()
        try:
            return super().open(*args, **kwargs)
        finally:
            self._reset_request_globals()

    @staticmethod
    def _reset_request_globals() -> None:
        if has_app_context():
            for name in list(g):
                g.pop(name, None)
