"""``sigkel privacy …``: the reporter's rights under UU 27/2022 — export, correction, erasure."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from webmap.cli.base import _database, _settings, cli

__all__ = ["privacy_group"]


@cli.group("privacy")
def privacy_group():
    """Reporters' personal data: export, correct, purge after retention."""


@privacy_group.command("export", with_appcontext=False)
@click.option("--ticket", help="A ticket of the reporter.")
@click.option("--contact", help="Or the phone number or e-mail address the reporter used.")
@click.option("--reason", default="permintaan pelapor", show_default=True, help="Written to the audit log.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="A .json file.")
def privacy_export(ticket, contact, reason, out):
    """Export everything held about one reporter (JSON)."""
    from gis.complaints.pdp import subject_export

    with _database(_settings(), announce=False) as (engine, _), engine.begin() as conn:
        data = subject_export(conn, ticket=ticket, contact=contact, reason=reason)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds personal data
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)
    events = len(data["processing_trail"])
    click.echo(f"{len(data['complaints'])} complaint(s), {events} events -> {out} (owner-only)")


@privacy_group.command("correct", with_appcontext=False)
@click.option("--ticket", required=True)
@click.option("--name")
@click.option("--phone")
@click.option("--email")
@click.option("--reason", required=True, help="The reporter's request, for the audit log.")
def privacy_correct(ticket, name, phone, email, reason):
    """Correct a reporter's name or contact on their request."""
    from gis.complaints.pdp import correct

    with _database(_settings(), announce=False) as (engine, _), engine.begin() as conn:
        result = correct(conn, ticket, None, reason, name=name, phone=phone, email=email)
    click.echo(f"Corrected {', '.join(result['corrected'])} for {ticket}.")


@privacy_group.command("purge", with_appcontext=False)
@click.option(
    "--older-than-days", type=click.IntRange(30, 3650), help="Default: SIGKEL_RETENTION_DAYS (730)."
)
@click.option("--dry-run", is_flag=True, help="Count only; change nothing.")
def privacy_purge(older_than_days, dry_run):
    """Anonymise complaints closed before the retention period."""
    from gis.complaints.pdp import purge

    settings = _settings()
    days = older_than_days or settings.retention_days
    with _database(settings, announce=False) as (engine, _), engine.begin() as conn:
        result = purge(conn, days, dry_run=dry_run)
    verb = "would be anonymised" if dry_run else "anonymised"
    click.echo(f"{result['complaints']} complaint(s) closed before {result['cutoff'][:10]} {verb}.")
