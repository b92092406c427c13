"""The ``sigkel`` command: Flask's click group, so it also knows the app (``sigkel routes``).

Commands parse arguments and call ``gis``; expected errors print one clear message and exit 1.

The group itself is in ``base``; the commands live in submodules by subject, and importing them here
registers them: ``db`` (db, demo, serve), ``data`` (import, export, backup, restore), ``analyze``
(analyze's complaint analyses, report), ``planning`` (analyze's planning analyses), ``accounts``
(users, outbox), ``privacy`` (export, correct, purge) and ``apikey``.
"""

from __future__ import annotations

from webmap.cli import accounts, analyze, data, db, planning, privacy  # noqa: F401  (registers their commands)
from webmap.cli.apikey import apikey
from webmap.cli.base import SigkelGroup as SigkelGroup
from webmap.cli.base import _database as _database
from webmap.cli.base import _settings as _settings
from webmap.cli.base import cli

__all__ = ["cli", "main"]

cli.add_command(apikey)


def main() -> None:
    cli(prog_name="sigkel")
