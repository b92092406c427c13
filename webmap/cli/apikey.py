"""``sigkel apikey``: the API keys that Open311 clients send with POST requests.

A key is printed once, when it is made; the database keeps only its SHA-256, so a lost key cannot be
shown again: disable it and add a new one.
"""

from __future__ import annotations

import click

from gis.errors import SigkelError
from webmap.cli import base

__all__ = ["apikey"]


def _database():
    """An engine on the configured database (started if embedded), as ``sigkel export`` gets one."""
    return base._database(base._settings(), announce=False)


def _run(job, write: bool = False):
    try:
        with _database() as (engine, _), engine.begin() if write else engine.connect() as conn:
            return job(conn)
    except SigkelError as exc:
        raise click.ClickException(str(exc)) from exc


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


@click.group("apikey")
def apikey():
    """Manage the API keys of Open311 clients."""


@apikey.command("add")
@click.argument("name")
def add(name):
    """Make a key for NAME (an app or partner); it is shown only now."""
    from gis.complaints.open311 import new_api_key

    key_id, key = _run(lambda conn: new_api_key(conn, name), write=True)
    click.echo(f"API key #{key_id} for {name.strip()}:")
    click.echo(key)
    click.echo(
        "Simpan sekarang: kunci ini tidak dapat ditampilkan lagi / store it now: it is not shown again."
    )


@apikey.command("list")
def list_keys():
    """Show every key: id, name, state, created, last used."""
    from gis.complaints.open311 import list_api_keys

    keys = _run(list_api_keys)
    if not keys:
        click.echo("No API keys yet: sigkel apikey add NAME")
        return
    click.echo(f"{'id':>4}  {'state':8}  {'created':16}  {'last used':16}  name")
    for k in keys:
        state = "active" if k["active"] else "disabled"
        created, used = _when(k["created_at"]), _when(k["last_used_at"])
        click.echo(f"{k['id']:>4}  {state:8}  {created:16}  {used:16}  {k['name']}")


@apikey.command("disable")
@click.argument("key_id", metavar="ID", type=int)
def disable(key_id):
    """Disable key ID: clients using it get 403 from then on."""
    from gis.complaints.open311 import disable_api_key

    row = _run(lambda conn: disable_api_key(conn, key_id), write=True)
    click.echo(f"API key #{row['id']} ({row['name']}) disabled.")
