"""``flask keys rotate`` and ``flask awards reconcile``."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.accounts.models import Organization
from app.extensions import db

keys_cli = AppGroup("keys", help="Issuer signing keys.")
awards_cli = AppGroup("awards", help="Issued awards.")


@keys_cli.command("rotate")
@click.option("--org", "org_slug", default=None, help="Organization slug (default: every organization).")
def rotate_command(org_slug: str | None):
    """Retire the active signing keys and create new ones. Retired keys stay published."""
    from app.credentials.openbadges.keys import rotate_keys

    query = select(Organization).order_by(Organization.id)
    if org_slug:
        query = query.where(Organization.slug == org_slug)
    orgs = list(db.session.scalars(query))
    if not orgs:
        raise click.ClickException(f"no organization named {org_slug!r}" if org_slug else "no organizations")
    for org in orgs:
        created = rotate_keys(org, actor=None)
        click.echo(f"{org.slug}: new keys {', '.join(k.kid for k in created)}")
    db.session.commit()


@awards_cli.command("reconcile")
def reconcile_command():
    """Award every passed attempt that has no award, and publish awards missing their documents."""
    from app.credentials.openbadges.services import reconcile_awards

    result = reconcile_awards()
    db.session.commit()
    click.echo(f"Awarded {len(result.awarded)} passed attempt(s) without an award; "
               f"published {result.published} award(s) missing documents.")
