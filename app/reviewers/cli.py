"""``flask reviews sweep``: expire and reassign overdue reviews, remind, fill the unassigned queue,
send queued mail. Idempotent and safe for cron; with Redis, ``flask reviews schedule`` runs it on the
RQ workers (``app.jobs``)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db

reviews_cli = AppGroup("reviews", help="The review workflow.")


def run_sweep() -> str:
    """One sweep, committed; returns its summary line. Also the scheduled RQ job, which the worker
    runs in an application context (``app.jobs.make_worker``)."""
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


#: The id of the sweep's schedule in Redis: one registration, replaced when made again.
SWEEP_JOB_ID = "reviews-sweep"


@reviews_cli.command("schedule")
@click.option("--every", default=900, show_default=True, type=click.IntRange(min=1), help="Seconds between sweeps.")
@click.option("--off", is_flag=True, help="Remove the schedule instead.")
def schedule_command(every: int, off: bool) -> None:
    """Run the sweep on the RQ workers every N seconds (needs REDIS_URL, `flask jobs worker` and
    `flask jobs scheduler`). Registering again replaces the schedule: there is only ever one."""
    from app.jobs import RedisNotConfigured, schedule_periodic, unschedule

    try:
        if off:
            removed = unschedule(SWEEP_JOB_ID)
            click.echo("sweep schedule removed" if removed else "no sweep schedule was registered")
            return
        schedule = schedule_periodic(run_sweep, job_id=SWEEP_JOB_ID, every=every)
    except RedisNotConfigured as exc:
        raise click.ClickException(f"{exc} Run `flask reviews sweep` from cron instead.") from None
    click.echo(f"sweep scheduled every {schedule.every} s (job {schedule.job_id}), first run now")
