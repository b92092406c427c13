#!/usr/bin/env python3
"""Nightly job: hot spots and emerging hot spots of the last 12 months, per kelurahan.

Cron example (02:30 every night):
    30 2 * * *  cd /srv/sigkel && .venv/bin/python scripts/compute_hotspots.py >> var/log/hotspots.log 2>&1
"""

import argparse
import datetime as dt

from gis.analysis.jobs import AnalysisParams, run_emerging, run_hotspots
from gis.config import Settings
from gis.db.engine import ensure_database, make_engine
from gis.errors import DataError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    today = dt.date.today()
    start = (today.replace(day=1) - dt.timedelta(days=31 * args.months)).replace(day=1)
    engine = make_engine(ensure_database(Settings.from_env()))
    with engine.connect() as conn:
        codes = (
            conn.exec_driver_sql(
                "SELECT DISTINCT kelurahan_code FROM complaint WHERE kelurahan_code IS NOT NULL ORDER BY 1"
            )
            .scalars()
            .all()
        )
    for code in codes:
        for job in (run_hotspots, run_emerging):
            params = AnalysisParams(kelurahan=[code], date_from=start, date_to=today)
            try:
                with engine.begin() as conn:
                    run_id, frame = job(conn, params)
                print(f"{code} {job.__name__}: run {run_id}, {len(frame)} features")
            except DataError as exc:  # too few complaints in a quiet kelurahan is not a failure
                print(f"{code} {job.__name__}: skipped: {exc.message}")
    engine.dispose()


if __name__ == "__main__":
    main()
