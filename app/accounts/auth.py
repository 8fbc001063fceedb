"""Password hashing, session loading and bearer-token authentication."""

from __future__ import annotations

import hashlib
from functools import wraps
from typing import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, request
from flask_login import LoginManager, current_user
from sqlalchemy import select

from app.accounts.models import ApiToken, Role, User
from app.db import utcnow
from app.errors import AuthenticationError, PermissionDenied
from app.extensions import db


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(time_cost=config["ARGON2_TIME_COST"], memory_cost=config["ARGON2_MEMORY_COST"])


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` with the configured cost."""
    return _hasher().hash(password)


def verify_password(user: User, password: str) -> bool:
    """Check ``password``; upgrade the stored hash when the cost settings changed."""
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


# A hash to verify against when the e-mail is unknown, so timing does not reveal accounts.
_DUMMY_HASH: dict[str, str] = {}


def burn_password_check(password: str) -> None:
    key = f"{current_app.config['ARGON2_TIME_COST']}:{current_app.config['ARGON2_MEMORY_COST']}"
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = hash_password("not-a-real-password")
    try:
        _hasher().verify(_DUMMY_HASH[key], password)
    except VerificationError:
        pass


def hash_token(secret: str) -> str:
    """Tokens are 256-bit random secrets, so a plain sha256 is a safe lookup key."""
    return hashlib.sha256(secret.encode()).hexdigest()


def configure_login(login_manager: LoginManager) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Log in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        raw_id, _, nonce = user_id.partition(":")
        if not raw_id.isdigit():
            return None
        user = db.session.get(User, int(raw_id))
        if user is None or user.session_nonce != nonce:
            return None
        return user


def user_from_bearer() -> User | None:
    """The user of a valid ``Authorization: Bearer`` token, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret.strip())))
    now = utcnow()
    if token is None or token.revoked_at is not None or token.expires_at <= now or not token.user.active:
        return None
    token.last_used_at = now
    g.api_token = token
    return token.user


def role_required(*roles: Role) -> Callable:
    """For HTML views: the logged-in user must hold one of ``roles`` (admins pass)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not current_user.has_role(Role.ADMIN, *roles):
                raise PermissionDenied()
            return view(*args, **kwargs)

        return wrapped

    return decorator


def api_user(*roles: Role) -> User:
    """For API views: the bearer token's user, who must hold one of ``roles`` if given."""
    user = g.get("api_user")
    if user is None:
        raise AuthenticationError("A valid bearer token is required (POST /api/v1/tokens).")
    if roles and not user.has_role(Role.ADMIN, *roles):
        raise PermissionDenied()
    return user
