"""Background work: ``enqueue()`` runs inline by default, on RQ when ``REDIS_URL`` is set.

RQ and rq-scheduler are optional: they are imported only when Redis is
configured (install them on the worker hosts: ``pip install rq rq-scheduler``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app


def enqueue(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``func`` now (embedded default) or queue it on RQ when ``REDIS_URL`` is set."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return func(*args, **kwargs)
    from redis import Redis
    from rq import Queue

    return Queue(connection=Redis.from_url(url)).enqueue(func, *args, **kwargs)


def _sweep_job() -> str:
    """The scheduled sweep: a fresh app context on the worker."""
    from app import create_app
    from app.reviewers.cli import run_sweep

    with create_app().app_context():
        return run_sweep()


def schedule_sweep(*, every: int) -> str:
    """Register ``flask reviews sweep`` with rq-scheduler every ``every`` seconds (replacing an
    earlier registration). Raises RuntimeError without ``REDIS_URL`` or the RQ packages."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        raise RuntimeError("REDIS_URL is not set: run `flask reviews sweep` from cron instead.")
    try:
        from redis import Redis
        from rq_scheduler import Scheduler
    except ImportError as exc:  # pragma: no cover - depends on the host
        raise RuntimeError("Install rq and rq-scheduler on this host to schedule the sweep.") from exc
    from datetime import UTC, datetime

    scheduler = Scheduler(connection=Redis.from_url(url))
    for job in scheduler.get_jobs():
        if job.meta.get("name") == "reviews-sweep":
            scheduler.cancel(job)
    job = scheduler.schedule(scheduled_time=datetime.now(UTC), func=_sweep_job, interval=every, repeat=None,
                             meta={"name": "reviews-sweep"})
    return f"sweep scheduled every {every} s (job {job.id})"
