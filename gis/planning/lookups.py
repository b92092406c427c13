"""Choices the planners' pages offer: kelurahan, population years and public complaint categories.

Each function reads one small list for a form or a filter; the web layer checks the request against
it and labels it. Rows come back as SQLAlchemy rows (attribute access: ``row.code``, ``row.name``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

__all__ = ["kelurahan", "population_years", "public_categories"]


def kelurahan(conn: Connection, codes: Iterable[str] | None = None) -> Sequence[Row]:
    """``(code, name)`` of every kelurahan, or of those in ``codes``, ordered by name.

    Parameters
    ----------
    conn : Connection
    codes : iterable of str, optional
        A user's scope; ``None`` lists them all.
    """
    if codes is None:
        return conn.execute(sa.text("SELECT code, name FROM kelurahan ORDER BY name")).all()
    return conn.execute(
        sa.text("SELECT code, name FROM kelurahan WHERE code = ANY(:k) ORDER BY name"),
        {"k": list(codes)},
    ).all()


def population_years(conn: Connection, codes: Iterable[str] | None = None) -> list[int]:
    """Years with population figures, newest first; with ``codes``, only for those kelurahan."""
    if codes is None:
        query = sa.text("SELECT DISTINCT year FROM population ORDER BY year DESC")
        return list(conn.execute(query).scalars().all())
    query = sa.text("SELECT DISTINCT year FROM population WHERE kelurahan_code = ANY(:k) ORDER BY year DESC")
    return list(conn.execute(query, {"k": list(codes)}).scalars().all())


def public_categories(conn: Connection) -> Sequence[Row]:
    """``(code, name_id, name_en)`` of the public complaint categories, ordered by Indonesian name."""
    return conn.execute(
        sa.text("SELECT code, name_id, name_en FROM complaint_category WHERE public ORDER BY name_id")
    ).all()
