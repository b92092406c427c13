"""Which properties of a layer can colour a map (:func:`layer_fields`), their values
(:func:`field_values`) and the ColorBrewer ramp each is drawn with (:func:`palette_name`, :func:`palette`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.errors import DataError
from gis.planning.catalogue.base import LayerRef, base_layer_frame
from gis.planning.catalogue.labels import DEFAULT_FIELD, FIELD_LABELS
from gis.planning.catalogue.runs import servable_run

__all__ = ["PALETTES", "Field", "layer_fields", "field_values", "palette_name", "palette"]

# Identifiers and properties that are not quantities to map.
_NOT_MAPPED = {"candidate", "feature", "id"}
# Higher is better: a blue ramp; otherwise yellow-orange-red (more need, distance, density).
_GOOD_WHEN_HIGH = {
    "access",
    "population_gained",
    "cumulative_covered",
    "cumulative_share",
    "existing",
    "surplus",
    "facilities",
}

# ColorBrewer sequential schemes (Cynthia Brewer, colorbrewer2.org), colour-blind safe, 3-7 classes.
PALETTES = {
    "YlOrRd": {
        3: ["#ffeda0", "#feb24c", "#f03b20"],
        4: ["#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c"],
        5: ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"],
        6: ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026"],
        7: ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"],
    },
    "Blues": {
        3: ["#deebf7", "#9ecae1", "#3182bd"],
        4: ["#eff3ff", "#bdd7e7", "#6baed6", "#2171b5"],
        5: ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"],
        6: ["#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"],
        7: ["#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#084594"],
    },
}


@dataclass(frozen=True)
class Field:
    """A property that can colour a map: ``numeric`` (classified), ``boolean``, ``bins`` (Gi* bins)
    or ``pattern`` (emerging hot spot categories)."""

    name: str
    kind: str
    count: int

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "count": self.count,
            "label": FIELD_LABELS.get(self.name, self.name),
            "palette": palette_name(self.name),
        }


def _kind(name: str, types: set[str], method: str | None) -> str | None:
    if name in _NOT_MAPPED:
        return None
    if name == "gi_bin" or name == "lisa_cluster":
        return "bins" if name == "gi_bin" else None
    if name == "category" and method == "emerging":
        return "pattern"
    if types <= {"number", "null"} and "number" in types:
        return "numeric"
    if types <= {"boolean", "null"} and "boolean" in types:
        return "boolean"
    return None


def layer_fields(conn: Connection, ref: LayerRef) -> list[Field]:
    """The mappable fields of a layer, the method's usual field first."""
    if ref.run is not None:
        run = servable_run(conn, ref.run)
        rows = conn.execute(
            sa.text(
                "SELECT e.key, array_agg(DISTINCT jsonb_typeof(e.value)) AS types, "
                "count(*) FILTER (WHERE jsonb_typeof(e.value) NOT IN ('null')) AS n "
                "FROM analysis_output o, jsonb_each(o.properties) e WHERE o.run_id = :r GROUP BY e.key "
                "ORDER BY min(o.feature), e.key"
            ),
            {"r": ref.run},
        ).all()
        method = run["method"]
        found = [(key, set(types), int(n)) for key, types, n in rows]
    else:
        frame = base_layer_frame(conn, ref)
        method = ref.base
        found = []
        for col in frame.columns.drop("geometry"):
            series = frame[col]
            if series.dtype.kind in "iuf":
                found.append((col, {"number"}, int(series.notna().sum())))
            elif series.dtype.kind == "b":
                found.append((col, {"boolean"}, int(series.notna().sum())))
    fields = [Field(name, kind, n) for name, types, n in found if (kind := _kind(name, types, method))]
    if ref.base == "fasilitas" or ref.base == "penduduk":
        fields = [f for f in fields if f.name not in ("id",)]
    first = DEFAULT_FIELD.get(method)
    fields.sort(key=lambda f: (f.name != first, f.kind != "numeric"))
    return fields


def field_values(conn: Connection, refs: list[LayerRef], field: str) -> np.ndarray:
    """The finite numeric values of ``field`` in all the layers (pooled: one classification for all)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", field or ""):
        raise DataError(f"Nama kolom tidak sah: {field!r}.")
    parts = []
    for ref in refs:
        if ref.run is not None:
            servable_run(conn, ref.run)
            values = (
                conn.execute(
                    sa.text(
                        "SELECT CAST(properties->>:f AS float8) FROM analysis_output WHERE run_id = :r "
                        "AND jsonb_typeof(properties->:f) = 'number'"
                    ),
                    {"f": field, "r": ref.run},
                )
                .scalars()
                .all()
            )
            if (
                not values
                and not conn.execute(
                    sa.text("SELECT 1 FROM analysis_output WHERE run_id = :r AND properties ? :f LIMIT 1"),
                    {"r": ref.run, "f": field},
                ).first()
            ):
                raise DataError(f"Run {ref.run} tidak punya kolom {field!r}.")
            parts.append(np.asarray(values, float))
        else:
            frame = base_layer_frame(conn, ref)
            if field not in frame.columns or frame[field].dtype.kind not in "iuf":
                raise DataError(f"Lapisan {ref.key} tidak punya kolom angka {field!r}.")
            parts.append(frame[field].to_numpy(float))
    values = np.concatenate(parts) if parts else np.zeros(0)
    return values[np.isfinite(values)]


def palette_name(field: str) -> str:
    return "Blues" if field in _GOOD_WHEN_HIGH else "YlOrRd"


def palette(name: str, k: int) -> list[str]:
    """``k`` colours of a ColorBrewer ramp (1-2 classes take the light and dark ends of three)."""
    ramp = PALETTES[name]
    if k >= 3:
        return list(ramp[min(k, 7)])
    return [ramp[3][2]] if k == 1 else [ramp[3][0], ramp[3][2]]
