"""The restore drill, measured: back up a database with complaints and photos, restore it into an empty
database and folder, and prove both equal, table by table and file by file.

    .venv/bin/python scripts/reliability/backup_drill.py [--complaints 100000] [--photos 300] [--keep]

In the embedded cluster (started if needed), one run:

1. builds ``drill_source``: the demo, plus ``--complaints`` synthetic complaints (copies of the demo's
   complaints at new points, set-based), plus ``--photos`` complaints submitted through
   ``submit_report`` each with a real re-encoded JPEG (so the photo folder is real);
2. ``sigkel backup --out DIR`` (timed; the dump and photo sizes reported);
3. ``sigkel restore DIR`` into an empty database ``drill_target`` and an empty photo folder (timed);
   the baseline, in the same run: a bare ``pg_dump -Fc`` of the same database and ``pg_restore`` of
   it into another empty database (what our commands add: photos, checksums, verification, a CLI);
4. compares :func:`gis.backup.table_fingerprints` of both databases (row count and md5 of every row,
   for every table) and every photo byte for byte; then damages one byte of the dump and checks that
   a restore refuses it before writing anything.

Exits 1 if anything differs. The databases and folders are removed unless ``--keep``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SYNTHETIC_SQL = """
INSERT INTO complaint (ticket, category, description, status, status_reason, kelurahan_code, rw_code,
                       rt_code, created_at, sla_due, first_response_at, resolved_at, source, synthetic,
                       geom, geom_public)
SELECT 'DR-' || lpad(g::text, 9, '0'), c.category, c.description, c.status, c.status_reason,
       c.kelurahan_code, c.rw_code, c.rt_code, c.created_at, c.sla_due, c.first_response_at,
       c.resolved_at, 'drill', true,
       ST_Translate(c.geom, (random() - 0.5) * 1e-4, (random() - 0.5) * 1e-4), c.geom_public
FROM generate_series(1, %(n)s) g
JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS rn, count(*) OVER () AS total, *
      FROM complaint) c ON c.rn = g %% c.total
"""


def _jpeg(seed: int) -> bytes:
    from PIL import Image

    image = Image.new("RGB", (640, 480), (seed % 256, (seed * 7) % 256, (seed * 13) % 256))
    image.paste((255, 255, 255), (seed % 600, seed % 440, seed % 600 + 40, seed % 440 + 40))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def build_source(cluster, data_dir: Path, photo_dir: Path, complaints: int, photos: int) -> str:
    import psycopg
    import sqlalchemy as sa

    from gis import pipelines
    from gis.complaints import submit
    from gis.complaints.photos import process_photo
    from gis.complaints.sla import WorkCalendar
    from gis.db.engine import make_engine

    url, _ = pipelines.demo_database(cluster, "drill_source", data_dir)
    with psycopg.connect(host=str(cluster.socket_dir), port=5432, user="sigkel", dbname="drill_source") as c:
        c.execute(SYNTHETIC_SQL, {"n": complaints})
    engine = make_engine(url)
    with engine.begin() as conn:
        points = conn.execute(
            sa.text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT (ST_Dump(ST_GeneratePoints(ST_Union(geom), :n, 3)))"
                ".geom p FROM rt) x"
            ),
            {"n": photos},
        ).all()
        for i, (lon, lat) in enumerate(points):
            photo = process_photo(_jpeg(i))
            submit.submit_report(
                conn,
                submit.Report(
                    key=f"drill-{uuid.uuid4().hex}",
                    category="kebersihan",
                    description=f"Latihan pemulihan {i}",
                    lon=lon,
                    lat=lat,
                    name=f"Warga {i}",
                    contact=f"08{i:010d}",
                    photos=[photo],
                    photo_digests=[photo.sha256],
                ),
                WorkCalendar(),
                photo_dir,
            )
    engine.dispose()
    return url


def sigkel(*args: str, env: dict) -> float:
    started = time.monotonic()
    run = subprocess.run(
        [str(ROOT / ".venv/bin/sigkel"), *args], env={**os.environ, **env}, capture_output=True, text=True
    )
    if run.returncode != 0:
        raise RuntimeError(f"sigkel {' '.join(args)} failed:\n{run.stdout}\n{run.stderr}")
    return time.monotonic() - started


def main() -> int:
    from gis.backup import table_fingerprints
    from gis.config import Settings
    from gis.db.embedded import EmbeddedCluster, find_pg_bindir
    from gis.db.engine import make_engine

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--complaints", type=int, default=100_000)
    ap.add_argument("--photos", type=int, default=300)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    settings = Settings.from_env()
    cluster = EmbeddedCluster.from_settings(settings)
    cluster.start()
    work = Path(tempfile.mkdtemp(prefix="sigkel-drill-"))
    photos, restored, folder = work / "photos", work / "restored-photos", work / "cadangan"
    try:
        t0 = time.monotonic()
        source = build_source(cluster, settings.data_dir, photos, args.complaints, args.photos)
        built = time.monotonic() - t0
        cluster.drop_database("drill_target")
        target = cluster.create_database("drill_target", postgis=False)
        backup_s = sigkel(
            "backup", "--out", str(folder), env={"DATABASE_URL": source, "SIGKEL_PHOTO_DIR": str(photos)}
        )
        restore_s = sigkel(
            "restore", str(folder), env={"DATABASE_URL": target, "SIGKEL_PHOTO_DIR": str(restored)}
        )
        # the baseline, side by side: bare pg_dump / pg_restore of the same database (no photos,
        # no checksums, no verification)
        bindir = find_pg_bindir(settings.pg_bindir)
        libpq = source.replace("postgresql+psycopg://", "postgresql://")
        bare = work / "bare.dump"
        started = time.monotonic()
        subprocess.run(
            [str(bindir / "pg_dump"), "-Fc", "--no-owner", "-f", str(bare), "-d", libpq], check=True
        )
        bare_dump_s = time.monotonic() - started
        cluster.drop_database("drill_bare")
        bare_url = cluster.create_database("drill_bare", postgis=False).replace(
            "postgresql+psycopg://", "postgresql://"
        )
        started = time.monotonic()
        subprocess.run(
            [str(bindir / "pg_restore"), "--no-owner", "--exit-on-error", "-d", bare_url, str(bare)],
            check=True,
        )
        bare_restore_s = time.monotonic() - started
        engines = make_engine(source), make_engine(target)
        a, b = (table_fingerprints(e) for e in engines)
        for e in engines:
            e.dispose()
        manifest = json.loads((folder / "manifest.json").read_text())

        # every photo of the source folder, not only those the backup's own manifest lists
        def listing(root: Path) -> list[str]:
            return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

        source_files = listing(photos)
        files_equal = (
            len(source_files) == args.photos
            and source_files == listing(restored)
            and all((restored / n).read_bytes() == (photos / n).read_bytes() for n in source_files)
        )
        dump = folder / "database.dump"
        data = bytearray(dump.read_bytes())
        data[len(data) // 2] ^= 0xFF
        dump.write_bytes(bytes(data))
        try:
            sigkel(
                "restore",
                str(folder),
                "--yes",
                env={"DATABASE_URL": target, "SIGKEL_PHOTO_DIR": str(restored)},
            )
            damaged_refused = False
        except RuntimeError as exc:
            damaged_refused = "damaged" in str(exc)
        result = {
            "tables": len(a),
            "rows": sum(n for n, _ in a.values()),
            "complaints": a["complaint"][0],
            "photos": len(manifest["photos"]),
            "dump_mb": dump.stat().st_size / 1e6,
            "photos_mb": sum(p.stat().st_size for p in (folder / "photos").iterdir()) / 1e6,
            "build_s": built,
            "backup_s": backup_s,
            "restore_s": restore_s,
            "bare_pg_dump_s": bare_dump_s,
            "bare_pg_restore_s": bare_restore_s,
            "backup_vs_pg_dump": backup_s / bare_dump_s,
            "restore_vs_pg_restore": restore_s / bare_restore_s,
            "tables_equal": a == b,
            "differing_tables": sorted(t for t in a.keys() | b.keys() if a.get(t) != b.get(t)),
            "photos_equal": files_equal,
            "damaged_dump_refused": damaged_refused,
        }
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
            for name in ("drill_source", "drill_target", "drill_bare"):
                cluster.drop_database(name)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    ok = result["tables_equal"] and result["photos_equal"] and result["damaged_dump_refused"]
    print("RESULT: " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
