"""Validation before anything is written. Each check returns the problems it found; errors reject
their row, warnings keep it. Areas and distances are measured in the local UTM zone.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from gis.crs import INDONESIA_BBOX, utm_epsg
from gis.io.report import Problem

__all__ = [
    "repair_geometries",
    "check_points",
    "check_duplicates",
    "check_coverage",
    "check_containment",
    "REPAIR_TOLERANCE",
    "SLIVER_M2",
    "OVERLAP_M2",
]

REPAIR_TOLERANCE = 0.01  # a repair may change the area by at most 1%
SLIVER_M2 = 100.0
OVERLAP_M2 = 1.0


def _metric_epsg(frame: gpd.GeoDataFrame) -> int:
    bounds = frame.geometry.dropna().total_bounds
    if not np.all(np.isfinite(bounds)):
        return 32748
    return utm_epsg((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)


def _polygonal(geom):
    """The polygon parts of a geometry as a MultiPolygon (None when there are none)."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type == "Polygon":
        return shapely.MultiPolygon([geom])
    if geom.geom_type == "MultiPolygon":
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    polys = [p for g in parts for p in (g.geoms if g.geom_type == "MultiPolygon" else [g])]
    return shapely.MultiPolygon(polys) if polys else None


def _point(geom):
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type == "Point":
        return geom
    if geom.geom_type == "MultiPoint" and len(geom.geoms) == 1:
        return geom.geoms[0]
    return None


def repair_geometries(frame: gpd.GeoDataFrame, kind: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Check geometry presence, type and validity; repair what can be repaired within tolerance.

    Parameters
    ----------
    kind : {'polygon', 'point'}
        What the layer must hold. Polygons come back as MultiPolygons.
    """
    slots: list[list[Problem]] = [[] for _ in range(len(frame))]  # problems per row, in row order
    out = []
    for i, (row, geom) in enumerate(zip(frame["row"], frame.geometry, strict=True)):
        if geom is None or (hasattr(geom, "is_empty") and geom.is_empty):
            slots[i].append(
                Problem(
                    "missing-geometry",
                    "The row has no geometry, an empty one, or one that cannot be read (coordinates "
                    "that are not numbers, a ring that cannot be closed, malformed WKT).",
                    row=int(row),
                )
            )
            out.append(None)
            continue
        if kind == "point":
            point = _point(geom)
            if point is None:
                slots[i].append(
                    Problem(
                        "wrong-geometry-type",
                        f"Expected a point, found {geom.geom_type}.",
                        row=int(row),
                        geometry=geom.representative_point() if _finite(geom) else None,
                    )
                )
            elif not _finite(point):
                slots[i].append(_bad_coordinates(point, int(row)))
            out.append(point)
            continue
        problem = _bad_coordinates(geom, int(row))
        if problem:  # NaN, infinite or off the globe: nothing can be measured or repaired
            slots[i].append(problem)
            out.append(None)
            continue
        out.append(geom)
    if kind == "polygon":
        measurable = [i for i, g in enumerate(out) if g is not None]
        subset = gpd.GeoDataFrame(geometry=[out[i] for i in measurable], crs=4326)
        metric = subset.to_crs(_metric_epsg(subset)).geometry
        for j, i in enumerate(measurable):
            fixed, problem = _repair_polygon(out[i], metric.iloc[j], int(frame["row"].iloc[i]))
            if problem:
                slots[i].append(problem)
            out[i] = fixed
    frame = frame.copy()
    frame["geometry"] = gpd.GeoSeries(out, index=frame.index, crs=4326)
    return frame, [p for slot in slots for p in slot]


def _finite(geom) -> bool:
    return bool(np.all(np.isfinite(shapely.get_coordinates(geom))))


def _bad_coordinates(geom, row: int) -> Problem | None:
    """NaN or infinite coordinates, or (for degrees) beyond ±180° longitude or ±90° latitude."""
    xy = shapely.get_coordinates(geom)
    if not np.all(np.isfinite(xy)):
        return Problem("bad-coordinates", "The geometry has NaN or infinite coordinates.", row=row)
    beyond = (np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90)
    if beyond.any():
        x, y = xy[np.argmax(beyond)]
        return Problem(
            "bad-coordinates",
            f"The point ({x:.6g}, {y:.6g}) is beyond ±180° longitude or ±90° latitude: is the file in "
            "degrees (else give --crs), with longitude first?",
            row=row,
        )
    return None


def _repair_polygon(geom, metric_geom, row: int):
    if geom.geom_type not in ("Polygon", "MultiPolygon", "GeometryCollection"):
        return None, Problem(
            "wrong-geometry-type",
            f"Expected a polygon, found {geom.geom_type}.",
            row=row,
            geometry=geom.representative_point(),
        )
    if geom.is_valid:
        poly = _polygonal(geom)
        if poly is None:
            return None, Problem("wrong-geometry-type", "The geometry holds no polygon.", row=row)
        return poly, None
    reason = shapely.is_valid_reason(geom)
    where = geom.representative_point() if not geom.is_empty else None
    try:
        fixed = _polygonal(shapely.make_valid(geom))
        fixed_metric = _polygonal(shapely.make_valid(metric_geom))
    except shapely.errors.GEOSException as exc:  # e.g. "Overlay input is mixed-dimension"
        return None, Problem(
            "unrepairable-geometry",
            f"Invalid polygon ({reason}) that make_valid cannot repair ({exc}).",
            row=row,
            geometry=where,
        )
    # make_valid can itself return an invalid result for some inputs: check it again.
    if fixed is None or not fixed.is_valid or fixed_metric is None:
        return None, Problem(
            "unrepairable-geometry",
            f"Invalid polygon ({reason}) that make_valid cannot repair.",
            row=row,
            geometry=where,
        )
    before = metric_geom.area  # the shoelace area of the invalid input, as drawn
    change = abs(fixed_metric.area - before) / max(before, 1e-9)
    if change > REPAIR_TOLERANCE:
        return None, Problem(
            "unrepairable-geometry",
            f"Invalid polygon ({reason}); repairing it would change its area by "
            f"{change:.1%}, more than the {REPAIR_TOLERANCE:.0%} allowed.",
            row=row,
            geometry=where,
        )
    return fixed, Problem(
        "repaired-geometry",
        f"Invalid polygon ({reason}) repaired with make_valid (area changed {change:.3%}).",
        severity="warning",
        row=row,
        geometry=where,
    )


def check_points(frame: gpd.GeoDataFrame) -> list[Problem]:
    """Points outside Indonesia are errors; when swapping lat/lon would fix them, say so."""
    west, south, east, north = INDONESIA_BBOX
    problems = []
    valid = frame.geometry.notna()
    xy = np.full((len(frame), 2), np.nan)
    xy[valid.to_numpy()] = shapely.get_coordinates(frame.geometry[valid].values)
    x, y = xy[:, 0], xy[:, 1]
    inside = (x >= west) & (x <= east) & (y >= south) & (y <= north)
    swapped = (y >= west) & (y <= east) & (x >= south) & (x <= north)
    for i in np.flatnonzero(valid.to_numpy() & ~inside):
        row = int(frame["row"].iloc[i])
        if swapped[i]:
            problems.append(
                Problem(
                    "swapped-coordinates",
                    f"({x[i]:.6f}, {y[i]:.6f}) is outside Indonesia but would "
                    "be inside with latitude and longitude swapped; swap the columns or use --map.",
                    row=row,
                    geometry=shapely.Point(y[i], x[i]),
                )
            )
        else:
            problems.append(
                Problem("outside-indonesia", f"({x[i]:.6f}, {y[i]:.6f}) is outside Indonesia.", row=row)
            )
    return problems


def check_duplicates(frame, key: list[str], label: str) -> list[Problem]:
    """Every repeat of a natural key after its first row is an error naming that first row."""
    problems = []
    present = frame.dropna(subset=key)
    first = {}
    for row, values, geom in zip(
        present["row"], present[key].itertuples(index=False), present.geometry, strict=True
    ):
        values = tuple(values)
        if values in first:
            shown = " ".join(str(v) for v in values)
            problems.append(
                Problem(
                    "duplicate",
                    f"{label} {shown} repeats row {first[values]}.",
                    row=int(row),
                    rows=(first[values],),
                    geometry=geom.representative_point() if geom is not None else None,
                )
            )
        else:
            first[values] = int(row)
    return problems


def _to_wgs84(geom, crs):
    """One geometry from the metric CRS back to EPSG:4326, to say where a problem is."""
    return gpd.GeoSeries([geom], crs=crs).to_crs(4326).iloc[0]


def check_coverage(frame: gpd.GeoDataFrame, group: str | None, label: str) -> list[Problem]:
    """Overlaps, gaps and slivers among sibling units (those sharing ``group``), as warnings.

    Uses shapely's coverage functions to find the units whose edges do not match their neighbours',
    then measures each overlap and enclosed gap in square metres.
    """
    problems: list[Problem] = []
    good = frame[frame.geometry.notna()]
    if good.empty:
        return problems
    metric = good.to_crs(_metric_epsg(good))
    groups = metric.groupby(group) if group else [(None, metric)]
    for _, sib in groups:
        problems += _overlaps(sib, label) + _gaps(sib, label) + _slivers(sib, label)
    return problems


def _overlaps(sib: gpd.GeoDataFrame, label: str) -> list[Problem]:
    geoms = sib.geometry.values
    if len(geoms) < 2 or shapely.coverage_is_valid(geoms):
        return []
    out = []
    left, right = sib.sindex.query(geoms, predicate="intersects")
    for a, b in zip(left, right, strict=True):
        if a >= b:
            continue
        shared = shapely.intersection(geoms[a], geoms[b])
        area = shapely.area(shared)
        if area > OVERLAP_M2:
            ra, rb = int(sib["row"].iloc[a]), int(sib["row"].iloc[b])
            where = _to_wgs84(shared, sib.crs)
            out.append(
                Problem(
                    "overlap",
                    f"{label} rows {ra} and {rb} overlap by {area:,.0f} m².",
                    severity="warning",
                    row=ra,
                    rows=(rb,),
                    geometry=where,
                )
            )
    return out


def _gaps(sib: gpd.GeoDataFrame, label: str) -> list[Problem]:
    if len(sib) < 2:
        return []
    union = shapely.union_all(sib.geometry.values)
    own_holes = shapely.union_all(
        [
            shapely.Polygon(r)
            for g in sib.geometry.values
            for p in getattr(g, "geoms", [g])
            for r in p.interiors
        ]
    )
    out = []
    for part in getattr(union, "geoms", [union]):
        for ring in part.interiors:
            hole = shapely.Polygon(ring).difference(own_holes)
            if hole.area > OVERLAP_M2:
                where = _to_wgs84(hole, sib.crs)
                out.append(
                    Problem(
                        "gap",
                        f"Gap of {hole.area:,.0f} m² between {label} units.",
                        severity="warning",
                        geometry=where,
                    )
                )
    return out


def _slivers(sib: gpd.GeoDataFrame, label: str) -> list[Problem]:
    out = []
    for row, geom in zip(sib["row"], sib.geometry, strict=True):
        area, perimeter = geom.area, geom.length
        # A thin shape is a sliver only when also small: island groups are thin and large.
        thin = perimeter > 0 and 4 * np.pi * area / perimeter**2 < 0.02 and area < 10 * SLIVER_M2
        if area < SLIVER_M2 or thin:
            where = _to_wgs84(geom.representative_point(), sib.crs)
            out.append(
                Problem(
                    "sliver",
                    f"{label} row {int(row)} is a sliver ({area:,.0f} m²{', very thin' if thin else ''}).",
                    severity="warning",
                    row=int(row),
                    geometry=where,
                )
            )
    return out


def check_containment(
    children: gpd.GeoDataFrame,
    parents: gpd.GeoDataFrame,
    child_key: str,
    parent_key: str,
    label: str,
    parent_label: str,
) -> list[Problem]:
    """Children lying partly outside their parent (more than 1 m² and 1% of their area)."""
    if children.empty or parents.empty:
        return []
    epsg = _metric_epsg(children)
    parent_geom = dict(zip(parents[parent_key], parents.to_crs(epsg).geometry, strict=True))
    problems = []
    metric = children.to_crs(epsg)
    for row, key, geom, geom4326 in zip(
        children["row"], children[child_key], metric.geometry, children.geometry, strict=True
    ):
        parent = parent_geom.get(key)
        if parent is None or geom is None:
            continue
        outside = geom.difference(parent).area
        if outside > OVERLAP_M2 and outside > 0.01 * geom.area:
            problems.append(
                Problem(
                    "outside-parent",
                    f"{label} row {int(row)} lies {outside:,.0f} m² "
                    f"({outside / geom.area:.0%}) outside its {parent_label} {key}.",
                    severity="warning",
                    row=int(row),
                    geometry=geom4326.representative_point(),
                )
            )
    return problems
