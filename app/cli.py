"""Command-line tools: ``flask users ...`` and ``flask demo ...``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from app.accounts import services
from app.accounts.models import Role, School
from app.errors import ValidationError
from app.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.option("--email", required=True, help="Login e-mail (stored lower-cased).")
@click.option("--name", default=None, help="Display name (defaults to the e-mail's local part).")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice([r.value for r in Role]), help="Repeat for several roles.")
@click.option("--school", default=None, help="School name within the organization.")
@click.password_option(help="Prompted for when not given.")
def create_user_command(email: str, name: str | None, roles: tuple[str, ...], school: str | None, password: str):
    """Create an active user with the given roles."""
    school_row = None
    if school:
        school_row = db.session.scalar(select(School).where(School.name == school))
        if school_row is None:
            raise click.BadParameter(f"no school named {school!r}", param_hint="--school")
    try:
        user = services.create_user(
            email=email, name=name or email.split("@")[0], password=password,
            roles={Role(r) for r in roles}, school=school_row,
        )
    except ValidationError as exc:
        raise click.ClickException(f"{exc.field or 'input'}: {exc.message}") from None
    db.session.commit()
    click.echo(f"Created user {user.email} with roles {', '.join(sorted(r.value for r in user.roles))}.")


def register_cli(app: Flask) -> None:
    from app.analytics.cli import analytics_cli
    from app.credentials.openbadges.cli import awards_cli, keys_cli
    from app.demo.cli import demo_cli
    from app.evidence.cli import storage_cli
    from app.jobs import jobs_cli
    from app.reviewers.cli import reviews_cli
    from app.verify.cli import verify_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(storage_cli)
    app.cli.add_command(reviews_cli)
    app.cli.add_command(verify_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(awards_cli)
    app.cli.add_command(analytics_cli)
    app.cli.add_command(jobs_cli)
