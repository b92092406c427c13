"""The planners' blueprint, shared by the view modules of :mod:`webmap.planner`."""

from __future__ import annotations

from flask import Blueprint

__all__ = ["bp"]

bp = Blueprint("planner", __name__, url_prefix="/perencana")
