"""Kept for ``from webmap.cli_apikey import apikey``: the group now lives in ``webmap.cli.apikey``."""

from __future__ import annotations

from webmap.cli.apikey import apikey

__all__ = ["apikey"]
