"""``flask analytics refresh`` (for cron) and ``flask analytics schedule`` (on the RQ workers):
rebuild the dashboards' summaries off the request."""

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


@analytics_cli.command("schedule")
@click.option("--every", default=300, show_default=True, type=click.IntRange(min=1),
              help="Seconds between refreshes.")
@click.option("--off", is_flag=True, help="Remove the schedule instead.")
def schedule_command(every: int, off: bool) -> None:
    """Refresh the changed and marked days on the RQ workers every N seconds (needs REDIS_URL,
    `flask jobs worker` and `flask jobs scheduler`). Registering again replaces the schedule."""
    from app.analytics.hooks import SCHEDULE_JOB_ID, refresh_marked_days
    from app.jobs import RedisNotConfigured, schedule_periodic, unschedule

    try:
        if off:
            removed = unschedule(SCHEDULE_JOB_ID)
            click.echo("analytics refresh schedule removed" if removed
                       else "no analytics refresh schedule was registered")
            return
        schedule = schedule_periodic(refresh_marked_days, job_id=SCHEDULE_JOB_ID, every=every)
    except RedisNotConfigured as exc:
        raise click.ClickException(f"{exc} Run `flask analytics refresh` from cron instead.") from None
    click.echo(f"analytics refresh scheduled every {schedule.every} s (job {schedule.job_id}), first run now")
