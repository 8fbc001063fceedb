"""``flask reviews sweep``: expire and reassign overdue reviews, remind, fill the unassigned queue,
send queued mail. Idempotent and safe for cron; ``app.jobs`` schedules it when Redis is configured."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db

reviews_cli = AppGroup("reviews", help="The review workflow.")


def run_sweep() -> str:
    """One sweep, committed; returns its summary line (also the RQ job body)."""
    from app.reviewers.services import sweep

    report = sweep()
    db.session.commit()
    return (
        f"expired {report.expired}, reminded {report.reminded}, assigned {report.assigned}, "
        f"still unassigned {report.still_unassigned}, mailed {report.mailed}"
    )


@reviews_cli.command("sweep")
def sweep_command() -> None:
    """Expire overdue assignments and reassign them; remind due-soon reviewers; send mail."""
    click.echo(run_sweep())


@reviews_cli.command("schedule")
@click.option("--every", default=900, show_default=True, help="Seconds between sweeps.")
def schedule_command(every: int) -> None:
    """Register the sweep with rq-scheduler (needs REDIS_URL); run `rqscheduler` and `rq worker` beside it."""
    from app.jobs import schedule_sweep

    try:
        click.echo(schedule_sweep(every=every))
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
