"""The import report: a readable summary, a JSON document and a GeoJSON of the problem places."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import geopandas as gpd
import shapely

__all__ = ["Problem", "ImportReport"]


@dataclass
class Problem:
    """One thing wrong with the input.

    ``error`` rejects the row; ``warning`` keeps it and tells the planner where to look.
    """

    code: str
    message: str
    severity: str = "error"
    row: int | None = None
    rows: tuple[int, ...] = ()
    geometry: object = None  # shapely geometry in EPSG:4326, where the problem is

    def to_dict(self) -> dict:
        out = {k: v for k, v in asdict(self).items() if k != "geometry"}
        out["rows"] = list(self.rows)
        if self.geometry is not None and not self.geometry.is_empty:
            out["where"] = shapely.to_wkt(shapely.set_precision(self.geometry.centroid, 1e-6))
        return out


@dataclass
class ImportReport:
    kind: str
    file: str
    layer: str | None = None
    crs: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    read: int = 0
    loaded: int = 0
    inserted: int = 0
    updated: int = 0
    repaired: int = 0
    rejected: int = 0
    assigned: int = 0
    unassigned: int = 0
    committed: bool = False
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def rejected_rows(self) -> set[int]:
        return {p.row for p in self.errors if p.row is not None}

    def summary(self, limit: int = 12) -> str:
        """The terminal summary: counts, then the problems grouped by kind with examples."""
        state = (
            "dry run, nothing written"
            if self.dry_run
            else ("committed" if self.committed else "NOT loaded: the database is unchanged")
        )
        lines = [
            f"Import {self.kind} from {self.file}"
            + (f" (layer {self.layer})" if self.layer else "")
            + f": {state}",
            f"  read {self.read}, loaded {self.loaded} (new {self.inserted}, updated {self.updated}),"
            f" repaired {self.repaired}, rejected {self.rejected}, assigned {self.assigned},"
            f" unassigned {self.unassigned}",
        ]
        lines += [f"  note: {n}" for n in self.notes]
        counts = Counter((p.severity, p.code) for p in self.problems)
        for (severity, code), n in sorted(counts.items()):
            lines.append(f"  {severity:7s} {code}: {n}")
            examples = [p for p in self.problems if p.code == code and p.severity == severity]
            for p in examples[:3]:
                where = f"row {p.row}: " if p.row is not None else ""
                lines.append(f"      {where}{p.message}")
        if len(self.problems) > limit:
            lines.append("  (every problem is in the JSON report and the problems GeoJSON)")
        return "\n".join(lines)

    def to_json(self) -> dict:
        data = {k: v for k, v in asdict(self).items() if k != "problems"}
        data["problems"] = [p.to_dict() for p in self.problems]
        return data

    def problems_frame(self) -> gpd.GeoDataFrame:
        located = [p for p in self.problems if p.geometry is not None]
        return gpd.GeoDataFrame(
            {
                "code": [p.code for p in located],
                "severity": [p.severity for p in located],
                "row": [p.row for p in located],
                "rows": [",".join(map(str, p.rows)) for p in located],
                "message": [p.message for p in located],
            },
            geometry=[p.geometry for p in located],
            crs=4326,
        )

    def write(self, stem: Path) -> list[Path]:
        """Write ``<stem>.report.json`` and ``<stem>.problems.geojson``; return their paths."""
        stem.parent.mkdir(parents=True, exist_ok=True)
        report = stem.with_name(stem.name + ".report.json")
        report.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1, default=str))
        problems = stem.with_name(stem.name + ".problems.geojson")
        problems.unlink(missing_ok=True)
        frame = self.problems_frame()
        problems.write_text(
            frame.to_json(drop_id=True) if len(frame) else '{"type": "FeatureCollection", "features": []}'
        )
        return [report, problems]
