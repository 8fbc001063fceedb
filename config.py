"""Configuration classes. Every secret and endpoint comes from the environment.

The embedded defaults (SQLite in ``instance/``, files on local disk, work done
inline, limits in memory) need no other service, so ``make run`` works on a
fresh laptop. Production refuses to start without a real ``SECRET_KEY``.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


class Config:
    """Settings shared by every environment, read once at import time."""

    ENV_NAME = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # Public base URL used for Open Badges ids; must be stable once badges are issued.
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")

    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'microcredentials.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Accounts
    REGISTRATION_MODE = os.environ.get("REGISTRATION_MODE", "open")  # "open" or "invite"
    API_TOKEN_DAYS = _env_int("API_TOKEN_DAYS", 30)
    # How long the link that confirms a further e-mail address stays valid.
    EMAIL_VERIFICATION_HOURS = _env_int("EMAIL_VERIFICATION_HOURS", 48)
    # argon2id cost; tests lower it, production keeps the library's recommended defaults.
    ARGON2_TIME_COST = _env_int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_COST = _env_int("ARGON2_MEMORY_COST", 65536)

    # Sessions and CSRF
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    PREFERRED_URL_SCHEME = "https" if SESSION_COOKIE_SECURE else "http"
    HSTS_ENABLED = SESSION_COOKIE_SECURE

    # Rate limits (Flask-Limiter): memory by default, Redis when configured.
    REDIS_URL = os.environ.get("REDIS_URL")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    # Without Redis, a decision rebuilds its analytics days inline only when they hold at most this many
    # assignments (0: never; cron runs `flask analytics refresh`). With Redis a worker always does it.
    ANALYTICS_INLINE_REFRESH_ROWS = int(os.environ.get("ANALYTICS_INLINE_REFRESH_ROWS", "1000"))
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    TOKEN_RATE_LIMIT = os.environ.get("TOKEN_RATE_LIMIT", "10 per minute")

    # Storage (evidence and badge files)
    STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local")  # local, s3, memory
    STORAGE_LOCAL_ROOT = os.environ.get("STORAGE_LOCAL_ROOT", str(INSTANCE_DIR / "files"))
    S3_BUCKET = os.environ.get("S3_BUCKET")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL")
    S3_REGION = os.environ.get("S3_REGION", "us-east-1")
    MAX_UPLOAD_BYTES = _env_int("MAX_UPLOAD_BYTES", 100 * 1024 * 1024)
    # Werkzeug refuses bigger request bodies before spooling them to disk.
    MAX_CONTENT_LENGTH = MAX_UPLOAD_BYTES + 1024 * 1024
    STORAGE_DOWNLOAD_URL_EXPIRES = _env_int("STORAGE_DOWNLOAD_URL_EXPIRES", 300)

    # Mail: the outbox table always; sent over SMTP when MAIL_SERVER is set.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = _env_int("MAIL_PORT", 587)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", True)
    MAIL_FROM = os.environ.get("MAIL_FROM", "no-reply@localhost")

    # Signing keys are stored encrypted with a key derived from this secret (HKDF-SHA256, AES-256-GCM).
    KEY_ENCRYPTION_KEY = os.environ.get("KEY_ENCRYPTION_KEY")
    # Hosted assertions are answered from a per-process cache for this long (0: off); a
    # revocation flushed by another process is visible within it.
    OB_ASSERTION_CACHE_SECONDS = _env_int("OB_ASSERTION_CACHE_SECONDS", 5)

    # Verification (app/verify): rate limits, roster size, and the guarded fetcher for foreign badges.
    VERIFY_RATE_LIMIT = os.environ.get("VERIFY_RATE_LIMIT", "30 per minute;300 per hour")
    VERIFY_TOKEN_RATE_LIMIT = os.environ.get("VERIFY_TOKEN_RATE_LIMIT", "600 per minute")
    VERIFY_MAX_ROWS = _env_int("VERIFY_MAX_ROWS", 10_000)
    #: Days a roster's results (which hold the e-mail addresses HR entered) are kept for the page,
    #: the CSV and the receipt; older ones are refused and deleted (`flask verify purge-rosters`).
    VERIFY_ROSTER_DAYS = _env_int("VERIFY_ROSTER_DAYS", 30)
    VERIFY_MAX_INPUT_BYTES = _env_int("VERIFY_MAX_INPUT_BYTES", 8 * 1024 * 1024)
    VERIFY_FETCH_CONNECT_TIMEOUT = float(os.environ.get("VERIFY_FETCH_CONNECT_TIMEOUT", "3"))
    VERIFY_FETCH_READ_TIMEOUT = float(os.environ.get("VERIFY_FETCH_READ_TIMEOUT", "5"))
    VERIFY_FETCH_TOTAL_TIMEOUT = float(os.environ.get("VERIFY_FETCH_TOTAL_TIMEOUT", "10"))
    VERIFY_FETCH_MAX_BYTES = _env_int("VERIFY_FETCH_MAX_BYTES", 1024 * 1024)
    VERIFY_FETCH_MAX_REDIRECTS = _env_int("VERIFY_FETCH_MAX_REDIRECTS", 3)
    # Hosts or CIDRs the fetcher may reach although they are private (tests, private deployments).
    VERIFY_FETCH_ALLOW = [item.strip() for item in os.environ.get("VERIFY_FETCH_ALLOW", "").split(",") if item.strip()]

    # flask-smorest / OpenAPI
    API_TITLE = "Microcredentials API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    API_SPEC_OPTIONS = {
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}
        },
        "info": {
            "description": "JSON API v1. Bearer tokens from POST /api/v1/tokens. "
            'Errors: {"error": {"code", "message", "fields"}}.'
        },
    }

    @classmethod
    def validate(cls) -> None:
        """Refuse settings that are unsafe for this environment."""
        if not cls.SECRET_KEY:
            raise RuntimeError(
                "SECRET_KEY must be set in the environment outside development "
                "(for example: export SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))'))"
            )
        if cls.REGISTRATION_MODE not in {"open", "invite"}:
            raise RuntimeError("REGISTRATION_MODE must be 'open' or 'invite'")


class DevelopmentConfig(Config):
    """Laptop defaults: a fixed development key so ``make run`` needs no setup."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    KEY_ENCRYPTION_KEY = os.environ.get(
        "KEY_ENCRYPTION_KEY", "ZGV2LW9ubHkta2V5LWVuY3J5cHRpb24ta2V5LTMyYiE="
    )


class TestingConfig(Config):
    """Fast, isolated settings for the test suite."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret"
    KEY_ENCRYPTION_KEY = "dGVzdGluZy1rZXktZW5jcnlwdGlvbi1rZXktMzJiISE="
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    BASE_URL = "http://localhost"
    SERVER_NAME = None
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    STORAGE_BACKEND = "memory"
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024


class ProductionConfig(Config):
    """Everything from the environment; validated at start-up."""

    ENV_NAME = "production"


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """The config class named by ``APP_ENV`` (default: development)."""
    name = os.environ.get("APP_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"APP_ENV must be one of {sorted(CONFIGS)}, not {name!r}") from None
