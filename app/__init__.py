"""Application factory: binds extensions, registers blueprints, handlers and CLI."""

from __future__ import annotations

import os

from flask import Flask

from config import Config, config_from_env


def create_app(config_class: type[Config] | None = None) -> Flask:
    config_class = config_class or config_from_env()
    config_class.validate()

    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config_class)
    from app.uploads import UploadRequest

    app.request_class = UploadRequest  # large uploads spool where storage can adopt them

    from app import models  # noqa: F401  (registers every table on the metadata)
    from app.extensions import api, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    api.init_app(app)

    from app.accounts.auth import configure_login

    configure_login(login_manager)

    from app import accounts, analytics, credentials, dashboard, evidence, learning, portfolio, reviewers, verify
    from app.accounts import views as _accounts_views  # noqa: F401
    from app.analytics import views as _analytics_views  # noqa: F401
    from app.api import register_api
    from app.credentials import views as _credentials_views  # noqa: F401
    from app.credentials import openbadges
    from app.credentials.openbadges import views as _openbadges_views  # noqa: F401
    from app.credentials.authoring import bp as authoring_bp
    from app.credentials.authoring import views as _authoring_views  # noqa: F401
    from app.dashboard import views as _dashboard_views  # noqa: F401
    from app.evidence import views as _evidence_views  # noqa: F401
    from app.learning import views as _learning_views  # noqa: F401
    from app.portfolio import views as _portfolio_views  # noqa: F401
    from app.reviewers import views as _reviewers_views  # noqa: F401
    from app.verify import views as _verify_views  # noqa: F401
    from app.main import bp as main_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(credentials.bp)
    app.register_blueprint(openbadges.bp)
    app.register_blueprint(authoring_bp)
    app.register_blueprint(learning.bp)
    app.register_blueprint(evidence.bp)
    app.register_blueprint(reviewers.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(analytics.bp)
    app.register_blueprint(verify.bp)
    app.register_blueprint(portfolio.bp)
    register_api(app, api)
    openbadges.install_assertion_cache(app)

    from app.errors import register_error_handlers
    from app.web import register_web

    register_error_handlers(app)
    register_web(app)

    from app.cli import register_cli

    register_cli(app)
    return app
