"""Class limits of a choropleth legend: how many decimals tell them apart, and each class's range.

:func:`gis.planning.catalogue.classify` gives the upper bounds (``bins``) and the minimum; this module
says what each class spans, so a legend reads "3 – 5, 6 – 9" for whole numbers and shows shares with
just enough decimals to tell the limits apart. Formatting the numbers in the reader's language is the
web layer's job.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["decimal_places", "class_bounds"]


def decimal_places(values: Sequence[float]) -> int:
    """The fewest decimals (at most 6) that keep distinct ``values`` distinct when rounded.

    Examples
    --------
    >>> decimal_places([0, 5, 10])
    0
    >>> decimal_places([0.1, 0.15, 0.2])
    3
    """
    if all(float(v).is_integer() for v in values):
        return 0
    span = (max(values) - min(values)) or abs(max(values)) or 1.0
    places = min(4, max(0, 2 - math.floor(math.log10(span))))
    while places < 6 and len({round(v, places) for v in values}) < len(set(values)):
        places += 1
    return places


def class_bounds(result: dict) -> tuple[int, list[tuple[float, float]]]:
    """Decimals to show and ``(lower, upper)`` of each class of a classification.

    Parameters
    ----------
    result : dict
        From :func:`gis.planning.catalogue.classify`: ``bins`` (upper bounds), ``min`` and
        ``integer`` (whole-number values, so a class starts one above the previous upper bound).

    Returns
    -------
    tuple of (int, list of (float, float))
        ``(0, [])`` when there are no classes.
    """
    bins, low = result["bins"], result["min"]
    if not bins:
        return 0, []
    places = decimal_places([low, *bins])
    step = 1 if result.get("integer") else 0  # whole numbers: 3–5, 6–9
    return places, [(low if i == 0 else bins[i - 1] + step, upper) for i, upper in enumerate(bins)]
