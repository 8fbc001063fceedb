"""Background work (``app.jobs``) inline and on a real Redis server with real RQ workers, the
periodic-job registration, and Flask-Limiter's counters shared through Redis by two app servers."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from redis import Redis
from rq.job import Job
from sqlalchemy import select

from app import jobs
from app.accounts.models import Organization
from app.extensions import db
from tests import factories
from tests.support.processes import app_env, app_processes, free_port, wait_until_serving


def create_organization_job(name: str) -> int:
    """A job body: writes a row and commits, as real jobs do (runs on the worker)."""
    org = Organization(name=name, slug=name.lower().replace(" ", "-"), url="https://example.org",
                       email="info@example.org")
    db.session.add(org)
    db.session.commit()
    return org.id


def add(a: int, b: int) -> int:
    return a + b


def test_enqueue_runs_inline_without_redis(app):
    assert app.config.get("REDIS_URL") is None
    assert jobs.enqueue(add, 2, b=3) == 5
    org_id = jobs.enqueue(create_organization_job, "Inline Org")
    assert db.session.get(Organization, org_id).name == "Inline Org"


def test_commands_without_redis_say_to_use_cron(app):
    runner = app.test_cli_runner()
    for args in (["reviews", "schedule"], ["jobs", "worker", "--burst"], ["jobs", "schedules"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1, (args, result.output)
        assert "REDIS_URL is not set" in result.output


def test_enqueue_runs_the_job_on_a_worker(app, redis_url, database_url, tmp_path):
    app.config["REDIS_URL"] = redis_url
    job = jobs.enqueue(create_organization_job, "Queued Org")
    assert isinstance(job, Job) and job.get_status() == "queued"
    assert db.session.scalar(select(Organization).where(Organization.name == "Queued Org")) is None
    env = app_env(APP_ENV="testing", TEST_DATABASE_URL=database_url, REDIS_URL=redis_url)
    with app_processes() as start:
        worker = start(["jobs", "worker", "--burst"], env, tmp_path / "worker.log")
        assert worker.wait(timeout=120) == 0, worker.log()
    job.refresh()
    assert job.get_status() == "finished", worker.log()
    db.session.remove()
    org = db.session.scalar(select(Organization).where(Organization.name == "Queued Org"))
    assert org is not None and job.return_value() == org.id


def test_a_failing_job_is_kept_as_failed_with_its_error(app, redis_url, database_url, tmp_path):
    app.config["REDIS_URL"] = redis_url
    job = jobs.enqueue(add, 1, "not a number")
    env = app_env(APP_ENV="testing", TEST_DATABASE_URL=database_url, REDIS_URL=redis_url)
    with app_processes() as start:
        worker = start(["jobs", "worker", "--burst"], env, tmp_path / "worker.log")
        assert worker.wait(timeout=120) == 0, worker.log()
    job.refresh()
    assert job.get_status() == "failed" and "TypeError" in (job.latest_result().exc_string or "")


def test_scheduling_the_sweep_twice_leaves_one_schedule(app, redis_url):
    app.config["REDIS_URL"] = redis_url
    runner = app.test_cli_runner()
    first = runner.invoke(args=["reviews", "schedule", "--every", "600"])
    second = runner.invoke(args=["reviews", "schedule", "--every", "300"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "every 300 s" in second.output
    schedules = jobs.list_schedules()
    assert [(s.job_id, s.every, s.func_name) for s in schedules] == [
        ("reviews-sweep", 300, "app.reviewers.cli.run_sweep")
    ]
    assert Redis.from_url(redis_url).zcard("rq:scheduler:scheduled_jobs") == 1
    listed = runner.invoke(args=["jobs", "schedules"])
    assert "reviews-sweep: app.reviewers.cli.run_sweep every 300 s" in listed.output
    off = runner.invoke(args=["reviews", "schedule", "--off"])
    assert off.exit_code == 0 and "removed" in off.output
    assert jobs.list_schedules() == []
    assert "no sweep schedule" in runner.invoke(args=["reviews", "schedule", "--off"]).output


def test_schedule_refuses_an_interval_under_a_second(app, redis_url):
    app.config["REDIS_URL"] = redis_url
    result = app.test_cli_runner().invoke(args=["reviews", "schedule", "--every", "0"])
    assert result.exit_code == 2 and jobs.list_schedules() == []
    with pytest.raises(ValueError):
        jobs.schedule_periodic(add, job_id="x", every=0)


def test_rate_limit_config_follows_redis_url(tmp_path):
    """Without RATELIMIT_STORAGE_URI, the limits live where REDIS_URL points (memory without it)."""
    import subprocess
    import sys

    from tests.support.processes import ROOT

    code = "import config; print(config.Config.RATELIMIT_STORAGE_URI)"
    for extra, expected in (({"REDIS_URL": "redis://cache.internal:6379/2"}, "redis://cache.internal:6379/2"),
                            ({}, "memory://")):
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=app_env(**extra), check=True,
                             capture_output=True, text=True).stdout.strip()
        assert out == expected


def _token_attempt(port: int) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/tokens", method="POST",
        data=json.dumps({"email": "limited@example.org", "password": "wrong-password"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_two_app_servers_share_rate_limits_through_redis(app, redis_url, database_url, tmp_path):
    """Two app processes on Redis count one client's attempts together; on memory each counts alone."""
    factories.user(email="limited@example.org")
    db.session.commit()
    base = {"APP_ENV": "development", "DATABASE_URL": database_url, "STORAGE_BACKEND": "memory",
            "RATELIMIT_ENABLED": "true", "TOKEN_RATE_LIMIT": "3 per minute", "ARGON2_TIME_COST": "1",
            "ARGON2_MEMORY_COST": "1024"}
    shared = app_env(**base, REDIS_URL=redis_url)
    separate = app_env(**base, RATELIMIT_STORAGE_URI="memory://")
    ports = {name: free_port() for name in ("redis_a", "redis_b", "memory_a", "memory_b")}
    with app_processes() as start:
        servers = {
            name: start(["run", "--port", str(port), "--no-reload"], shared if name.startswith("redis") else separate,
                        tmp_path / f"{name}.log")
            for name, port in ports.items()
        }
        for name, port in ports.items():
            wait_until_serving(port, timeout=90, logs=servers[name].log)
        on_redis = [_token_attempt(ports[name]) for name in ("redis_a", "redis_a", "redis_b", "redis_b")]
        in_memory = [_token_attempt(ports[name]) for name in ("memory_a", "memory_a", "memory_b", "memory_b")]
    assert on_redis == [401, 401, 401, 429]  # the third attempt anywhere used up the shared limit
    assert in_memory == [401, 401, 401, 401]  # each process counted only its own
    assert any(key.startswith(b"LIMITS") for key in Redis.from_url(redis_url).keys("*"))
