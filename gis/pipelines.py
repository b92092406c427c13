"""End-to-end jobs used by the CLI, the scripts and the web app.

Each job takes a Connection and runs inside the caller's transaction, so a failure half-way leaves
the database as it was.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.complaints.privacy import refresh_public_points
from gis.db import tables as t
from gis.db.assign import assign_units
from gis.db.write import frame_rows, upsert
from gis.demo.build import DEMO_FILES
from gis.demo.extract import DEMO_KECAMATAN
from gis.errors import DataError
from gis.io.importer import import_file

__all__ = ["seed_reference", "load_demo", "demo_counts", "non_demo_kelurahan", "import_file"]


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise DataError(f"Missing data file {path}.", "Restore it from the repository (git checkout).")
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def seed_reference(conn: Connection, data_dir: Path) -> dict:
    """Upsert the facility and complaint category tables from ``data/categories``."""
    counts = {}
    before = dict(conn.execute(sa.text("SELECT code, privacy || public::text FROM complaint_category")).all())
    for table, name in (
        (t.facility_category, "facility_categories.csv"),
        (t.complaint_category, "complaint_categories.csv"),
    ):
        frame = _read_csv(Path(data_dir) / "categories" / name)
        if "public" in frame:
            frame["public"] = frame["public"].astype(str).str.lower().isin(["true", "1", "yes"])
        upsert(conn, table, frame_rows(frame, list(frame.columns)), key=["code"])
        counts[table.name] = len(frame)
    after = dict(conn.execute(sa.text("SELECT code, privacy || public::text FROM complaint_category")).all())
    if before and after != before:  # a category's privacy rule changed: every public point follows
        refresh_public_points(conn)
    return counts


def _read_layer(demo_dir: Path, name: str) -> gpd.GeoDataFrame | pd.DataFrame:
    path = demo_dir / DEMO_FILES[name]
    if path.suffix == ".csv":
        return _read_csv(path)
    if not path.exists():
        raise DataError(f"Missing demo file {path}.", "Run scripts/build_demo_data.py to rebuild it.")
    return gpd.read_file(path, engine="pyogrio")


def _load_boundaries(conn: Connection, demo_dir: Path) -> dict:
    counts = {}
    specs = [
        (t.kecamatan, "kecamatan", ["code", "name", "kota_code", "kota_name", "source"]),
        (t.kelurahan, "kelurahan", ["code", "name", "kecamatan_code", "kind", "source"]),
        (
            t.rw,
            "rw",
            [
                "code",
                "kelurahan_code",
                "number",
                "name",
                "label_original",
                "source",
                "source_id",
                "attributes",
            ],
        ),
        (t.rt, "rt", ["code", "kelurahan_code", "rw_code", "number", "name", "source", "synthetic"]),
    ]
    for table, name, columns in specs:
        frame = _read_layer(demo_dir, name)
        if name == "rw":
            frame["attributes"] = [{"flood_prone": bool(f)} for f in frame["flood_prone"]]
        upsert(conn, table, frame_rows(frame, columns + ["geom"]), key=["code"])
        counts[name] = len(frame)
    return counts


def _load_population(conn: Connection, demo_dir: Path) -> int:
    frame = _read_layer(demo_dir, "population")
    columns = [c.name for c in t.population.c if c.name != "id"]
    upsert(conn, t.population, frame_rows(frame, columns), key=["unit_code", "year"])
    return len(frame)


def _load_facilities(conn: Connection, demo_dir: Path) -> int:
    frame = _read_layer(demo_dir, "facilities")
    columns = ["category", "name", "address", "attributes", "source", "source_id", "synthetic", "geom"]
    rows = upsert(
        conn,
        t.facility,
        frame_rows(frame, columns, json_columns=["attributes"]),
        key=["source", "source_id"],
        returning=["id"],
    )
    conn.execute(
        sa.text(
            "UPDATE facility SET rt_code = NULL, rw_code = NULL, kelurahan_code = NULL WHERE id = ANY(:ids)"
        ),
        {"ids": [r.id for r in rows]},
    )
    assign_units(conn, "facility", [r.id for r in rows])
    return len(frame)


def _load_complaints(conn: Connection, demo_dir: Path) -> tuple[int, int]:
    frame = _read_layer(demo_dir, "complaints")
    columns = [
        "ticket",
        "category",
        "description",
        "status",
        "status_reason",
        "created_at",
        "first_response_at",
        "resolved_at",
        "sla_due",
        "source",
        "synthetic",
        "geom",
    ]
    for col in ("created_at", "first_response_at", "resolved_at", "sla_due"):
        frame[col] = pd.to_datetime(frame[col], utc=True).astype(object).where(frame[col].notna())
    frame["source_id"] = frame["ticket"]  # complete natural key: exports re-import as updates
    # due dates on the live SLA clock (holidays and cuti bersama), from each category's tier
    from gis.complaints.sla import WorkCalendar

    tiers = dict(conn.execute(sa.text("SELECT code, sla_days FROM complaint_category")).all())
    calendar = WorkCalendar()
    frame["sla_due"] = [
        calendar.due(c, tiers[k]) for c, k in zip(frame["created_at"], frame["category"], strict=True)
    ]
    rows = upsert(
        conn,
        t.complaint,
        frame_rows(frame, columns + ["source_id"]),
        key=["ticket"],
        returning=["id", "ticket"],
    )
    ids = [r.id for r in rows]
    conn.execute(
        sa.text(
            "UPDATE complaint SET rt_code = NULL, rw_code = NULL, kelurahan_code = NULL WHERE id = ANY(:ids)"
        ),
        {"ids": ids},
    )
    assign_units(conn, "complaint", ids)
    refresh_public_points(conn, ids)
    # the last thing that happened to each synthetic complaint, not the time of loading
    conn.execute(
        sa.text(
            "UPDATE complaint SET updated_at = greatest(created_at, first_response_at, resolved_at) "
            "WHERE id = ANY(:ids)"
        ),
        {"ids": ids},
    )
    # The event trail is append-only: write it only for complaints this load created.
    new = {r.ticket: r.id for r in rows if r.inserted}
    events = _read_layer(demo_dir, "complaint_events")
    events = events[events["ticket"].isin(new)]
    if len(events):
        events = events.assign(
            complaint_id=events["ticket"].map(new), created_at=pd.to_datetime(events["created_at"], utc=True)
        )
        cols = ["complaint_id", "kind", "status_from", "status_to", "note", "created_at"]
        conn.execute(sa.insert(t.complaint_event), list(frame_rows(events, cols)))
    return len(frame), len(events)


def load_demo(conn: Connection, data_dir: Path) -> dict:
    """Load the demo kecamatan into the database; running it again changes nothing.

    Returns
    -------
    dict
        Rows read per layer (equal to the features in each file of ``data/demo``).
    """
    data_dir = Path(data_dir)
    demo_dir = data_dir / "demo"
    counts = seed_reference(conn, data_dir)
    counts.update(_load_boundaries(conn, demo_dir))
    counts["population"] = _load_population(conn, demo_dir)
    counts["facilities"] = _load_facilities(conn, demo_dir)
    counts["complaints"], counts["complaint_events_new"] = _load_complaints(conn, demo_dir)
    return counts


def non_demo_kelurahan(conn: Connection) -> list[str]:
    """Kelurahan codes in the database that are not part of the demo area."""
    return list(
        conn.execute(
            sa.text("SELECT code FROM kelurahan WHERE left(code, 8) <> :kec ORDER BY code"),
            {"kec": DEMO_KECAMATAN["code"]},
        ).scalars()
    )


def demo_counts(conn: Connection, demo_only: bool = False) -> dict:
    """Rows per table, for the CLI summary and the tests.

    ``demo_only`` counts only the demo's own complaints (and their events), not those residents or
    tests have added since.
    """
    names = ["kecamatan", "kelurahan", "rw", "rt", "population", "facility", "complaint", "complaint_event"]
    out = {n: conn.execute(sa.text(f"SELECT count(*) FROM {n}")).scalar_one() for n in names}
    if demo_only:
        demo = "SELECT id FROM complaint WHERE source LIKE 'synthetic-demo%'"
        out["complaint"] = conn.execute(sa.text(f"SELECT count(*) FROM ({demo}) d")).scalar_one()
        out["complaint_event"] = conn.execute(
            sa.text(f"SELECT count(*) FROM complaint_event WHERE complaint_id IN ({demo})")
        ).scalar_one()
    return out


DEMO_ACCOUNTS = (("admin.demo", "admin"), ("petugas.demo", "staff"), ("perencana.demo", "planner"))


def ensure_demo_accounts(conn: Connection, var_dir: Path) -> tuple[list[str], str]:
    """Demo users (one per role, all demo kelurahan) sharing one random password kept in
    ``var/demo-accounts.txt`` (owner-only). Returns (usernames, password)."""
    import os
    import secrets

    from gis import auth

    path = Path(var_dir) / "demo-accounts.txt"
    if path.exists():
        password = path.read_text().split("password: ", 1)[1].split()[0]
    else:
        password = "demo-" + secrets.token_urlsafe(9)
    kelurahan = (
        conn.execute(
            sa.text("SELECT code FROM kelurahan WHERE left(code, 8) = :k ORDER BY code"),
            {"k": DEMO_KECAMATAN["code"]},
        )
        .scalars()
        .all()
    )
    for username, role in DEMO_ACCOUNTS:
        exists = conn.execute(sa.text("SELECT 1 FROM app_user WHERE username = :u"), {"u": username}).first()
        if exists:
            conn.execute(
                sa.text("UPDATE app_user SET password_hash = :h WHERE username = :u"),
                {"h": auth.hash_password(password), "u": username},
            )
        else:
            auth.add_user(conn, username, f"Demo {role}", password, role, list(kelurahan))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"users: {', '.join(u for u, _ in DEMO_ACCOUNTS)}\npassword: {password}\n")
    return [u for u, _ in DEMO_ACCOUNTS], password


def demo_database(cluster, name: str, data_dir: Path) -> tuple[str, dict]:
    """A fresh database ``name`` in the embedded cluster with the schema and the demo loaded (for
    benchmarks and trials); returns its URL and what was read."""
    from gis.db import migrate
    from gis.db.engine import make_engine

    cluster.drop_database(name)
    url = cluster.create_database(name)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            migrate.upgrade(conn)
            counts = load_demo(conn, data_dir)
    finally:
        engine.dispose()
    return url, counts
