"""Classes for choropleths: :func:`classify` puts values into classes with mapclassify (quantiles,
Fisher-Jenks natural breaks, equal interval); :func:`classes_for` classifies a field over one or more
layers with the field's palette, caching the classes of finished runs.
"""

from __future__ import annotations

import threading
import warnings
from collections import OrderedDict

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.errors import DataError
from gis.planning.catalogue.base import LayerRef
from gis.planning.catalogue.fields import field_values, palette, palette_name
from gis.planning.catalogue.labels import _l

__all__ = ["SCHEMES", "K_RANGE", "FJ_MAX_POINTS", "classify", "classes_for"]

SCHEMES = {
    "quantiles": _l("Kuantil (jumlah sama per kelas)"),
    "fisher_jenks": _l("Jeda alami (Fisher-Jenks)"),
    "equal_interval": _l("Interval sama"),
}
K_RANGE = (3, 7)
FJ_MAX_POINTS = 400  # Fisher-Jenks is O(k·n²) without numba: larger layers use their quantiles


def classify(values, scheme: str = "quantiles", k: int = 5) -> dict:
    """Classes of ``values`` by a mapclassify scheme.

    Returns ``bins`` (upper bounds: class i holds bins[i-1] < v <= bins[i], the first class from
    ``min``), ``counts``, ``min``, ``max``, ``n`` and ``k`` (the classes actually made: fewer than asked
    when there are fewer distinct values). Whole-number data (counts, people, units) get whole-number
    bounds (``integer``: the scheme's bounds rounded down), so no class falls between two integers.
    """
    import mapclassify

    if scheme not in SCHEMES:
        raise DataError(f"Skema klasifikasi tidak dikenal: {scheme!r}.", f"Pilih: {', '.join(SCHEMES)}.")
    if not isinstance(k, int | np.integer) or not K_RANGE[0] <= k <= K_RANGE[1]:
        raise DataError(f"Jumlah kelas harus {K_RANGE[0]} sampai {K_RANGE[1]}, bukan {k!r}.")
    y = np.asarray(values, float)
    y = y[np.isfinite(y)]
    base = {"scheme": scheme, "k_requested": int(k), "n": int(len(y))}
    if not len(y):
        return {**base, "k": 0, "integer": False, "bins": [], "counts": [], "min": None, "max": None}
    distinct = np.unique(y)
    k_eff = min(int(k), len(distinct))
    if k_eff == 1:
        bins = np.array([distinct[0]])
    else:
        with warnings.catch_warnings():  # numba missing; fewer distinct values than classes
            warnings.simplefilter("ignore")
            if scheme == "quantiles":
                bins = mapclassify.Quantiles(y, k=k_eff).bins
            elif scheme == "equal_interval":
                bins = mapclassify.EqualInterval(y, k=k_eff).bins
            else:
                sample = y if len(y) <= FJ_MAX_POINTS else np.quantile(y, np.linspace(0, 1, FJ_MAX_POINTS))
                bins = mapclassify.FisherJenks(sample, k=k_eff).bins
    bins = np.unique(np.asarray(bins, float))
    integer = bool(np.all(y == np.round(y)))
    if integer:  # counts, people, units: a bound between two whole numbers makes an empty class
        bins = np.unique(np.floor(bins))
    bins[-1] = max(bins[-1], float(y.max()))  # every value falls in a class
    bins = np.unique(bins)
    index = np.searchsorted(bins, y, side="left")
    counts = np.bincount(index, minlength=len(bins))
    return {
        **base,
        "k": int(len(bins)),
        "integer": integer,
        "bins": [float(b) for b in bins],
        "counts": [int(c) for c in counts],
        "min": float(y.min()),
        "max": float(y.max()),
    }


_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 256
_CACHE_LOCK = threading.Lock()


def classes_for(conn: Connection, refs: list[LayerRef], field: str, scheme: str, k: int) -> dict:
    """Classes of ``field`` over one or more layers, with the field's palette; finished runs are
    immutable, so their classes are cached."""
    cacheable = all(r.run is not None for r in refs)
    key = (tuple(r.key for r in refs), field, scheme, k)
    if cacheable:
        done = conn.execute(
            sa.text("SELECT count(*) FROM analysis_run WHERE id = ANY(:ids) AND status = 'done'"),
            {"ids": [r.run for r in refs]},
        ).scalar()
        cacheable = done == len({r.run for r in refs})
    if cacheable:
        with _CACHE_LOCK:
            if key in _CACHE:
                _CACHE.move_to_end(key)
                return dict(_CACHE[key])
    result = classify(field_values(conn, refs, field), scheme, k)
    name = palette_name(field)
    result.update(
        {
            "field": field,
            "layers": [r.key for r in refs],
            "palette": name,
            "colors": palette(name, result["k"]) if result["k"] else [],
        }
    )
    if cacheable:
        with _CACHE_LOCK:
            _CACHE[key] = dict(result)
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return result
