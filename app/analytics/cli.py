"""``flask analytics refresh``: rebuild the dashboards' summaries (for cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.analytics.summaries import refresh_summaries
from app.extensions import db

analytics_cli = AppGroup("analytics", help="Program analytics: refresh the dashboards' summaries.")


@analytics_cli.command("refresh")
@click.option("--full", is_flag=True, help="Rebuild every day (default: only the days changed since the last refresh).")
def refresh_command(full: bool) -> None:
    """Refresh the summary tables; idempotent and safe to run from cron at any interval."""
    result = refresh_summaries(full=full)
    db.session.commit()
    click.echo(result.summary())
