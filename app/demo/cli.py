"""``flask demo load`` and ``flask demo accounts``."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from app.demo import catalog
from app.demo.loader import COUNT_KEYS, database_is_empty, demo_accounts, load_demo
from app.extensions import db

demo_cli = AppGroup("demo", help="Load the demo district, catalog and accounts, and list the logins.")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True,
              help="Load only into a fresh database (no organizations or users yet); otherwise do nothing.")
def load_command(if_empty: bool) -> None:
    """Insert the demo data that is missing (safe to run again)."""
    if if_empty and not database_is_empty():
        click.echo("The database already has data; demo data not loaded.")
        return
    counts = load_demo()
    db.session.commit()
    if any(counts.values()):
        created = ", ".join(f"{counts[key]} {key}" for key in COUNT_KEYS if counts[key])
        click.echo(f"Demo data loaded: created {created}.")
    else:
        click.echo("Demo data already loaded; nothing to create.")
    click.echo(f"Demo accounts share the password {catalog.DEMO_PASSWORD!r}; see `flask demo accounts`.")


@demo_cli.command("accounts")
@click.option("--json", "as_json", is_flag=True, help='Print [{"email", "password", "roles"}] as JSON.')
def accounts_command(as_json: bool) -> None:
    """List the demo logins (as created by `flask demo load`)."""
    if as_json:
        click.echo(json.dumps(demo_accounts(), indent=2))
        return
    rows = [
        (spec.email, ", ".join(sorted(role.value for role in spec.roles)), spec.school or "-", spec.note)
        for spec in catalog.USERS
    ]
    headers = ("e-mail", "roles", "school", "for")
    widths = [max(len(str(row[i])) for row in (headers, *rows)) for i in range(len(headers) - 1)]
    for row in (headers, *rows):
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]))
    click.echo(f"\nPassword for every demo account: {catalog.DEMO_PASSWORD}")


@demo_cli.command("generate")
@click.option("--teachers", type=click.IntRange(min=1), required=True, help="How many teachers to add.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same data.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day the history ends (default: today, UTC); fixes the dates for a repeatable run.")
def generate_command(teachers: int, seed: int, as_of) -> None:
    """Add a large realistic data set (about ten attempts per teacher) on top of the demo catalog."""
    import time

    from app.demo.generate import generate_data

    started = time.monotonic()
    load_demo()

    def report(done: int, total: int) -> None:
        click.echo(f"  {done:,} of {total:,} teachers ({time.monotonic() - started:.0f} s)", err=True)

    try:
        result = generate_data(teachers=teachers, seed=seed, as_of=as_of.date() if as_of else None, progress=report)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Generated in {time.monotonic() - started:.1f} s: {result.summary()}.")
