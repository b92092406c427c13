"""The totals row of the Musrenbang evidence table: sums, and population-weighted shares.

Counts (people, area, complaints, facilities existing, required and missing) add up over the RW;
coverage and accessibility are averaged with each RW's population as its weight, over the RW with a
value and people, so an empty RW does not pull the average down.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

__all__ = ["evidence_totals"]


def evidence_totals(table: pd.DataFrame, types: Iterable[str]) -> dict:
    """One totals row for :func:`gis.planning.evidence.evidence_table`'s ``table``.

    Parameters
    ----------
    table : DataFrame
        One row per RW, with ``population``, ``area_ha``, ``complaints`` and, per facility type
        ``t``, ``t_covered_share``, ``t_access``, ``t_existing``, ``t_required`` and ``t_gap``.
    types : iterable of str
        The facility types in ``table``.

    Returns
    -------
    dict
        Column -> total; ratios are ``None`` where their denominator is zero.
    """
    pop = float(table["population"].sum())
    area = float(table["area_ha"].sum())
    out = {
        "population": pop,
        "area_ha": area,
        "density_ha": pop / area if area else None,
        "complaints": int(table["complaints"].sum()),
        "complaints_per_1000": 1000 * float(table["complaints"].sum()) / pop if pop else None,
    }
    weights = table["population"].astype(float)
    for t in types:
        for col in ("covered_share", "access"):
            out[f"{t}_{col}"] = _weighted_mean(table[f"{t}_{col}"].astype(float), weights)
        for col in ("existing", "required", "gap"):
            out[f"{t}_{col}"] = int(table[f"{t}_{col}"].sum())
    return out


def _weighted_mean(values: pd.Series, weights: pd.Series) -> float | None:
    known = values.notna() & (weights > 0)
    w = weights[known].sum()
    return float((values[known] * weights[known]).sum() / w) if w else None
