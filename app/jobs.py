"""Background work: ``enqueue()`` runs inline by default, on RQ workers when ``REDIS_URL`` is set.

The scale-out tier runs three kinds of process beside the app servers, all
started through the Flask CLI so they read the same configuration:

* ``flask jobs worker``: an RQ worker. Each job runs in a forked work horse
  inside a fresh application context, so job functions use ``db.session`` and
  ``current_app`` as a request would, and commit their own work.
* ``flask jobs scheduler``: rq-scheduler's loop, moving due scheduled jobs onto
  the queue. Several may run (one per host): a lock in Redis lets one act per tick.
* ``flask reviews schedule``: registers the periodic review sweep once
  (``schedule_periodic``); registering again replaces it.

Why rq-scheduler and not RQ's own ``rq cron``: RQ 2's CronScheduler keeps its
schedule in the memory of each ``rq cron`` process (from a config file) and
calls itself beta; two of them enqueue every job twice. rq-scheduler keeps the
schedule in Redis, under a job id we choose, so a registration is made once and
survives restarts of every process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup

if TYPE_CHECKING:  # the RQ packages are imported only when Redis is configured
    from redis import Redis
    from rq import Queue

#: The RQ queue every job of the app goes to (and the worker listens on).
QUEUE_NAME = "microcredentials"

jobs_cli = AppGroup("jobs", help="Background jobs on Redis (RQ): worker and scheduler.")


class RedisNotConfigured(RuntimeError):
    """``REDIS_URL`` is not set, so there is no queue and no scheduler."""


def redis_connection(app: Flask | None = None) -> Redis:
    """A Redis client for ``REDIS_URL``; raises ``RedisNotConfigured`` without it."""
    from redis import Redis

    target = app or current_app
    url = target.config.get("REDIS_URL")
    if not url:
        raise RedisNotConfigured("REDIS_URL is not set: background work runs inline, scheduled work from cron.")
    return Redis.from_url(url)


def get_queue(app: Flask | None = None) -> Queue:
    """The app's RQ queue. Raises ``RedisNotConfigured`` without ``REDIS_URL``."""
    from rq import Queue

    return Queue(QUEUE_NAME, connection=redis_connection(app))


def enqueue(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``func(*args, **kwargs)`` now and return its result (embedded default), or, when
    ``REDIS_URL`` is set, queue it for ``flask jobs worker`` and return the RQ job.

    ``func`` must be importable by its dotted path (a module-level function) and
    its arguments serialisable (pickle); pass ids, not ORM objects. On a worker
    it runs in its own application context and must commit its own work.
    """
    if not current_app.config.get("REDIS_URL"):
        return func(*args, **kwargs)
    return get_queue().enqueue_call(func, args=args, kwargs=kwargs)


@dataclass(frozen=True)
class Schedule:
    """A periodic job as registered in Redis."""

    job_id: str
    func_name: str
    every: int
    next_run_at: datetime


def _scheduler(connection: Redis) -> Any:
    from rq_scheduler import Scheduler

    return Scheduler(queue_name=QUEUE_NAME, connection=connection)


def schedule_periodic(func: Callable[..., Any], *, job_id: str, every: int) -> Schedule:
    """Register ``func`` to run on a worker every ``every`` seconds, first right away.

    The schedule is stored in Redis under ``job_id``: registering the same id
    again replaces the earlier registration, so there is only ever one.
    Raises ``RedisNotConfigured`` without ``REDIS_URL`` and ``ValueError`` for an
    interval under one second.
    """
    if every < 1:
        raise ValueError("every must be at least one second")
    scheduler = _scheduler(redis_connection())
    scheduler.cancel(job_id)
    # rq-scheduler compares naive UTC times (it uses utcnow()).
    first = datetime.now(UTC).replace(tzinfo=None)
    job = scheduler.schedule(scheduled_time=first, func=func, interval=every, repeat=None, id=job_id,
                             description=f"every {every} s: {func.__module__}.{func.__qualname__}")
    return Schedule(job_id=job.id, func_name=job.func_name, every=every, next_run_at=first.replace(tzinfo=UTC))


def list_schedules() -> list[Schedule]:
    """Every periodic job registered in Redis, soonest first."""
    scheduler = _scheduler(redis_connection())
    out = []
    for job, at in scheduler.get_jobs(with_times=True):
        every = job.meta.get("interval")
        if every:
            out.append(Schedule(job_id=job.id, func_name=job.func_name, every=int(every),
                                next_run_at=at.replace(tzinfo=UTC)))
    return out


def unschedule(job_id: str) -> bool:
    """Remove a periodic job; True when it was registered."""
    scheduler = _scheduler(redis_connection())
    registered = job_id in scheduler
    scheduler.cancel(job_id)
    return registered


def make_worker(app: Flask, *, name: str | None = None) -> Any:
    """An RQ worker on the app's queue whose jobs each run in a new application context
    (in the forked work horse), with the database session removed afterwards."""
    from rq import Worker

    from app.extensions import db

    class AppWorker(Worker):
        def perform_job(self, job: Any, queue: Any) -> bool:
            with app.app_context():
                try:
                    return super().perform_job(job, queue)
                finally:
                    db.session.remove()

    connection = redis_connection(app)
    return AppWorker([get_queue(app)], connection=connection, name=name)


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs that are queued, then exit.")
@click.option("--name", default=None, help="Worker name (default: host and pid).")
def worker_command(burst: bool, name: str | None) -> None:
    """Run an RQ worker for the app's queue (needs REDIS_URL)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        worker = make_worker(app, name=name)
    except RedisNotConfigured as exc:
        raise click.ClickException(str(exc)) from None
    worker.work(burst=burst, with_scheduler=False)


@jobs_cli.command("scheduler")
@click.option("--interval", default=10, show_default=True, help="Seconds between looks for due jobs.")
@click.option("--burst", is_flag=True, help="Queue the jobs that are due, then exit.")
def scheduler_command(interval: int, burst: bool) -> None:
    """Move due scheduled jobs (such as the review sweep) onto the queue (needs REDIS_URL)."""
    from rq_scheduler import Scheduler

    try:
        connection = redis_connection()
    except RedisNotConfigured as exc:
        raise click.ClickException(str(exc)) from None
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    Scheduler(queue_name=QUEUE_NAME, connection=connection, interval=interval).run(burst=burst)


@jobs_cli.command("schedules")
def schedules_command() -> None:
    """List the periodic jobs registered in Redis."""
    try:
        schedules = list_schedules()
    except RedisNotConfigured as exc:
        raise click.ClickException(str(exc)) from None
    if not schedules:
        click.echo("no periodic jobs")
    for item in schedules:
        click.echo(f"{item.job_id}: {item.func_name} every {item.every} s, next at {item.next_run_at:%Y-%m-%d %H:%M:%S} UTC")
