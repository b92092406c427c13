#!/usr/bin/env python3
"""Nightly or monthly job: planning layers per kelurahan for every facility type with a standard.

For each kelurahan with population figures, and each facility type of data/standards whose standard
has a service radius: coverage and 2SFCA accessibility; for every type: the deficit per RW; and the
evidence table per RW for Musrenbang as CSV and XLSX under var/reports/bukti/. Every run is recorded
as an analysis_run and appears in the planners' layer catalogue.

Cron example (03:00 on the first of each month):
    0 3 1 * *  cd /srv/sigkel && .venv/bin/python scripts/compute_planning_layers.py \
        >> var/log/planning.log 2>&1
"""

import argparse
import sys

from gis.config import Settings
from gis.db.engine import ensure_database, make_engine
from gis.errors import SigkelError
from gis.planning.evidence import evidence_table, to_csv, to_xlsx
from gis.planning.jobs import PlanningParams, run_accessibility, run_coverage, run_deficit
from gis.planning.standards import default_table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kelurahan", action="append", help="Only this kelurahan code (repeatable).")
    parser.add_argument("--types", help="Only these facility types, comma-separated.")
    parser.add_argument("--year", type=int, help="Population year (default: the latest).")
    args = parser.parse_args()
    settings = Settings.from_env()
    engine = make_engine(ensure_database(settings))
    standards = default_table()
    types = args.types.split(",") if args.types else sorted(standards.standards)
    with engine.connect() as conn:
        codes = (
            args.kelurahan
            or conn.exec_driver_sql("SELECT DISTINCT kelurahan_code FROM population ORDER BY 1")
            .scalars()
            .all()
        )
    failures = 0
    for code in codes:
        for ftype in types:
            std = standards.standard_for(code, ftype)
            jobs = [(run_deficit, {})]
            if std.radius_m:
                jobs = [(run_coverage, {}), (run_accessibility, {}), *jobs]
            for job, extra in jobs:
                params = PlanningParams(facility_type=ftype, kelurahan=[code], year=args.year, **extra)
                try:
                    with engine.begin() as conn:
                        run_id, frame = job(conn, params)
                    print(f"{code} {ftype} {job.__name__}: run {run_id}, {len(frame)} features")
                except SigkelError as exc:
                    failures += 1
                    print(f"{code} {ftype} {job.__name__}: FAILED: {exc}", file=sys.stderr)
        with engine.connect() as conn:
            table = evidence_table(conn, [code], args.year)
        folder = settings.var_dir / "reports" / "bukti"
        folder.mkdir(parents=True, exist_ok=True)
        stem = folder / f"bukti-{code}-{table.attrs['year']}"
        to_csv(table, stem.with_suffix(".csv"))
        to_xlsx(table, stem.with_suffix(".xlsx"))
        print(f"{code}: evidence table for {len(table)} RW in {stem}.csv/.xlsx")
    engine.dispose()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
