"""``flask verify purge-rosters``: delete roster results past ``VERIFY_ROSTER_DAYS``, for cron.

Registered by ``app/cli.py``. Results past the period are refused when read anyway, and each new
roster deletes its verifier's old ones; this command clears the rest.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.storage import StorageUnavailable, get_storage
from app.verify import services

verify_cli = AppGroup("verify", help="Verification: roster results.")


@verify_cli.command("purge-rosters")
def purge_rosters_command() -> None:
    """Delete every verifier's roster results older than VERIFY_ROSTER_DAYS."""
    try:
        deleted = services.purge_rosters()
    except StorageUnavailable as exc:
        raise click.ClickException(f"Storage ({get_storage().name}) could not be listed: {exc.message}") from None
    click.echo(f"deleted {deleted} roster result(s) older than {current_app.config['VERIFY_ROSTER_DAYS']} days")
