"""``flask storage check [--fix]``: evidence files and artifact rows, compared.

Registered by ``app/cli.py`` as ``storage_cli``.
"""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from app.evidence import services
from app.storage import StorageUnavailable, get_storage

storage_cli = AppGroup("storage", help="Check evidence files in storage against the database.")


@storage_cli.command("check")
@click.option("--fix", is_flag=True, help="Delete stored objects that no artifact row refers to. Rows are never deleted.")
@click.option(
    "--grace-minutes", default=60, show_default=True, type=click.IntRange(min=0),
    help="Leave objects younger than this alone: an upload may still be committing its row.",
)
def check_command(fix: bool, grace_minutes: int) -> None:
    """Report artifact rows whose file is missing and files under evidence/ without a row.

    Exits with status 1 when a problem is found (with --fix: when one remains).
    """
    storage = get_storage()
    try:
        report = services.check_storage(storage=storage, fix=fix, grace=timedelta(minutes=grace_minutes))
    except StorageUnavailable as exc:
        raise click.ClickException(f"Storage ({storage.name}) could not be listed: {exc.message}") from None

    for item in report.missing:
        click.echo(
            f"missing {item.what}: artifact {item.artifact_id} (submission {item.submission_id}) "
            f"refers to {item.key}, which is not in storage"
        )
    deleted = set(report.deleted)
    for key in report.stray:
        if key in deleted:
            state = "deleted"
        elif key in report.failed:
            state = "could not delete"
        else:
            state = "kept: a row refers to it now" if fix else "no artifact row"
        click.echo(f"stray object: {key} ({state})")

    if report.skipped_recent:
        click.echo(f"Skipped {report.skipped_recent} object(s) younger than {grace_minutes} minute(s).")
    click.echo(
        f"{len(report.missing)} artifact row(s) without their object, {len(report.stray)} stray object(s)"
        + (f", {len(report.deleted)} deleted" if fix else "")
        + f" ({storage.name} storage)."
    )
    problems = report.missing or (report.stray and not fix) or report.failed
    if problems:
        if report.stray and not fix:
            click.echo("Run `flask storage check --fix` to delete the stray objects.")
        raise SystemExit(1)
