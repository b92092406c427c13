"""``sigkel users …`` (staff accounts) and ``sigkel outbox send`` (notifications to reporters).

``sigkel apikey …`` lives in ``webmap.cli.apikey``.
"""

from __future__ import annotations

import click

from webmap.cli.base import _database, _settings, cli

__all__ = ["outbox_group", "users_group"]


@cli.group("users")
def users_group():
    """Manage staff accounts and their kelurahan.

    Roles: admin, staff (petugas) and planner (perencana); each user is scoped to one or more kelurahan.
    """


@users_group.command("add", with_appcontext=False)
@click.argument("username")
@click.option("--name", "full_name", help="Full name shown in the trail (default: the username).")
@click.option("--role", type=click.Choice(["admin", "staff", "planner"]), required=True)
@click.option("--kelurahan", "kelurahan", multiple=True, required=True, help="Kelurahan code (repeatable).")
@click.option(
    "--password",
    envvar="SIGKEL_NEW_PASSWORD",
    help="The password (default: asked twice; or SIGKEL_NEW_PASSWORD).",
)
def users_add(username, full_name, role, kelurahan, password):
    """Add a user."""
    from gis import auth

    if not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _database(_settings(), announce=False) as (engine, _), engine.begin() as conn:
        user_id = auth.add_user(conn, username, full_name or username, password, role, list(kelurahan))
    click.echo(f"User {username} ({role}) added with id {user_id}.")


@users_group.command("list", with_appcontext=False)
def users_list():
    """List users with their role, kelurahan and live sessions."""
    from gis import auth

    with _database(_settings(), announce=False) as (engine, _), engine.connect() as conn:
        rows = auth.list_users(conn)
    if not rows:
        click.echo("No users yet: sigkel users add NAME --role admin --kelurahan CODE")
    for r in rows:
        state = "active" if r["active"] else "disabled"
        click.echo(
            f"{r['username']:<20} {r['role']:<8} {state:<8} sessions={r['sessions']:<3} "
            f"{','.join(k for k in r['kelurahan'] if k)}  {r['full_name']}"
        )


@users_group.command("disable", with_appcontext=False)
@click.argument("username")
def users_disable(username):
    """Disable a user and revoke every session they have."""
    from gis import auth

    with _database(_settings(), announce=False) as (engine, _), engine.begin() as conn:
        auth.set_active(conn, username, False)
    click.echo(f"User {username} disabled; their sessions are revoked.")


@users_group.command("enable", with_appcontext=False)
@click.argument("username")
def users_enable(username):
    """Enable a disabled user again."""
    from gis import auth

    with _database(_settings(), announce=False) as (engine, _), engine.begin() as conn:
        auth.set_active(conn, username, True)
    click.echo(f"User {username} enabled.")


@cli.group("outbox")
def outbox_group():
    """Deliver notifications queued for reporters.

    The web app only queues them; run `sigkel outbox send` from cron or a systemd timer.
    """


@outbox_group.command("send", with_appcontext=False)
@click.option("--limit", type=click.IntRange(1, 10000), default=100, show_default=True)
@click.option(
    "--smtp",
    envvar="SIGKEL_SMTP_URL",
    help="smtp://user:password@host:587/?from=ADDRESS (default: append to var/outbox/messages.jsonl).",
)
def outbox_send(limit, smtp):
    """Deliver pending notifications once."""
    from gis.complaints.outbox import LogSender, SmtpSender, deliver_pending

    settings = _settings()
    sender = SmtpSender(smtp) if smtp else LogSender(settings.var_dir / "outbox" / "messages.jsonl")
    with _database(settings, announce=False) as (engine, _), engine.connect() as conn:
        counts = deliver_pending(conn, sender, limit, commit=conn.commit)
    click.echo(
        f"sent {counts['sent']}, failed {counts['failed']} (retried next run), skipped {counts['skipped']}"
    )
