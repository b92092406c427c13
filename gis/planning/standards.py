"""Facility standards (SNI 03-1733-2004) and per-kelurahan overrides, loaded from CSV and checked.

``data/standards/sni_03_1733_2004.csv`` holds one row per facility type; ``overrides.csv`` lets a
planner replace a number for one kelurahan. Errors name the file, the line and the column.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from gis.config import project_root
from gis.errors import DataError

__all__ = [
    "LEVELS",
    "Standard",
    "StandardsTable",
    "load_standards",
    "load_overrides",
    "load_table",
    "standard_for",
    "default_table",
]

LEVELS = ("rt", "rw", "kelurahan", "kecamatan")
STANDARD_COLUMNS = (
    "facility_type",
    "name_id",
    "name_en",
    "population_served",
    "radius_m",
    "min_land_m2",
    "level",
    "facility_categories",
    "source",
    "verified",
)
OVERRIDE_COLUMNS = ("kelurahan_code", "facility_type", "population_served", "radius_m", "min_land_m2")
_TYPE = re.compile(r"^[a-z][a-z0-9_]*$")
_KELURAHAN = re.compile(r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[12][0-9]{3}$")


@dataclass(frozen=True)
class Standard:
    """One facility standard; ``radius_m``/``min_land_m2`` are ``None`` where the standard gives none."""

    facility_type: str
    name_id: str
    name_en: str
    population_served: int
    radius_m: float | None
    min_land_m2: float | None
    level: str
    facility_categories: tuple[str, ...]
    source: str
    verified: bool
    overridden_for: str | None = None  # kelurahan code when an override was applied


def _standards_dir() -> Path:
    return project_root() / "data" / "standards"


def _known_categories() -> set[str]:
    path = project_root() / "data" / "categories" / "facility_categories.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["code"] for row in csv.DictReader(fh)}


class _Row:
    """Typed access to one CSV row that raises errors naming file, line and column."""

    def __init__(self, path: Path, line: int, row: dict):
        self.path, self.line, self.row = path, line, row

    def fail(self, column: str, problem: str) -> DataError:
        return DataError(f"{self.path.name}, line {self.line}, column {column!r}: {problem}")

    def text(self, column: str, required: bool = True) -> str:
        value = (self.row.get(column) or "").strip()
        if required and not value:
            raise self.fail(column, "is empty.")
        return value

    def number(self, column: str, *, integer: bool = False, positive: bool = True) -> float | int | None:
        raw = self.text(column, required=False)
        if not raw:
            return None
        try:
            value = int(raw) if integer else float(raw)
        except ValueError:
            kind = "a whole number" if integer else "a number"
            raise self.fail(column, f"{raw!r} is not {kind}.") from None
        if value < 0 or (positive and value == 0) or value != value:
            raise self.fail(column, f"{raw!r} must be {'positive' if positive else 'zero or more'}.")
        return value


def _rows(path: Path, columns: tuple[str, ...]):
    if not path.is_file():
        raise DataError(f"The standards file {path} does not exist.")
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = [c.strip() for c in reader.fieldnames or []]
        missing = [c for c in columns if c not in header]
        if missing:
            raise DataError(f"{path.name}, line 1: missing column(s) {', '.join(missing)}.")
        for row in reader:
            if None in row:
                raise DataError(f"{path.name}, line {reader.line_num}: more values than columns.")
            yield _Row(path, reader.line_num, {k.strip(): v for k, v in row.items()})


def load_standards(path: Path | None = None, categories: set[str] | None = None) -> dict[str, Standard]:
    """Read and check the standards CSV; returns the standards by facility type."""
    path = Path(path) if path else _standards_dir() / "sni_03_1733_2004.csv"
    categories = _known_categories() if categories is None else categories
    out: dict[str, Standard] = {}
    for r in _rows(path, STANDARD_COLUMNS):
        ftype = r.text("facility_type")
        if not _TYPE.match(ftype):
            raise r.fail("facility_type", f"{ftype!r} must be lower case letters, digits and _.")
        if ftype in out:
            raise r.fail("facility_type", f"{ftype!r} appears twice.")
        served = r.number("population_served", integer=True)
        if served is None:
            raise r.fail("population_served", "is empty.")
        level = r.text("level")
        if level not in LEVELS:
            raise r.fail("level", f"{level!r} must be one of {', '.join(LEVELS)}.")
        cats = tuple(c.strip() for c in r.text("facility_categories").split(";") if c.strip())
        unknown = [c for c in cats if c not in categories]
        if unknown or not cats:
            raise r.fail("facility_categories", f"unknown category {', '.join(unknown) or '(none)'}.")
        verified = r.text("verified").lower()
        if verified not in ("yes", "no"):
            raise r.fail("verified", f"{verified!r} must be yes or no.")
        out[ftype] = Standard(
            facility_type=ftype,
            name_id=r.text("name_id"),
            name_en=r.text("name_en"),
            population_served=int(served),
            radius_m=r.number("radius_m"),
            min_land_m2=r.number("min_land_m2", positive=False),
            level=level,
            facility_categories=cats,
            source=r.text("source"),
            verified=verified == "yes",
        )
    if not out:
        raise DataError(f"{path.name} has no standards.")
    return out


def load_overrides(path: Path | None, standards: dict[str, Standard]) -> dict[tuple[str, str], dict]:
    """Read the per-kelurahan overrides: {(kelurahan_code, facility_type): {column: value}}.

    Blank values keep the standard's value and are left out of the dict.
    """
    path = Path(path) if path else _standards_dir() / "overrides.csv"
    if not path.is_file():
        return {}
    out: dict[tuple[str, str], dict] = {}
    for r in _rows(path, OVERRIDE_COLUMNS):
        kel = r.text("kelurahan_code")
        if not _KELURAHAN.match(kel):
            raise r.fail("kelurahan_code", f"{kel!r} is not a kelurahan code like 31.71.05.1001.")
        ftype = r.text("facility_type")
        if ftype not in standards:
            raise r.fail("facility_type", f"{ftype!r} is not in the standards file.")
        if (kel, ftype) in out:
            raise r.fail("facility_type", f"{ftype!r} is overridden twice for {kel}.")
        values = {
            "population_served": r.number("population_served", integer=True),
            "radius_m": r.number("radius_m"),
            "min_land_m2": r.number("min_land_m2", positive=False),
        }
        out[(kel, ftype)] = {k: v for k, v in values.items() if v is not None}
    return out


@dataclass(frozen=True)
class StandardsTable:
    """The standards with the overrides merged in on request."""

    standards: dict[str, Standard]
    overrides: dict[tuple[str, str], dict] = dataclasses.field(default_factory=dict)

    def types(self) -> list[str]:
        return sorted(self.standards)

    def standard_for(self, kelurahan_code: str | None, facility_type: str) -> Standard:
        """The standard for a facility type, with the kelurahan's override applied if it has one."""
        base = self.standards.get(facility_type)
        if base is None:
            raise DataError(
                f"Unknown facility type {facility_type!r}.",
                f"Known types: {', '.join(self.types())}.",
            )
        override = self.overrides.get((kelurahan_code, facility_type)) if kelurahan_code else None
        if not override:
            return base
        return dataclasses.replace(base, **override, overridden_for=kelurahan_code)


def load_table(standards_path: Path | None = None, overrides_path: Path | None = None) -> StandardsTable:
    standards = load_standards(standards_path)
    return StandardsTable(standards, load_overrides(overrides_path, standards))


@functools.lru_cache(maxsize=1)
def default_table() -> StandardsTable:
    """The project's standards and overrides (read once per process)."""
    return load_table()


def standard_for(kelurahan_code: str | None, facility_type: str, table: StandardsTable | None = None):
    """The standard for ``facility_type`` in a kelurahan (its override if any, else SNI)."""
    return (table or default_table()).standard_for(kelurahan_code, facility_type)
