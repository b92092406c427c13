#!/usr/bin/env python3
"""Monthly job: the evaluation report (PDF, and HTML beside it) of the last finished period, per kelurahan.

Cron example (06:00 on the 2nd of each month, for the month before):
    0 6 2 * *  cd /srv/sigkel && .venv/bin/python scripts/evaluation_report.py --period last-month
"""

import argparse
import datetime as dt
import sys

from gis.complaints.sla import TZ
from gis.config import Settings
from gis.db.engine import ensure_database, make_engine
from gis.errors import SigkelError
from gis.reports import build_report, render_html, to_pdf


def _period(text: str) -> str:
    today = dt.datetime.now(TZ).date()
    if text == "last-month":
        return f"{(today.replace(day=1) - dt.timedelta(days=1)):%Y-%m}"
    if text == "last-quarter":
        q = (today.month - 1) // 3
        return f"{today.year}-Q{q}" if q else f"{today.year - 1}-Q4"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--period", default="last-month", help="last-month, last-quarter, 2026, 2026-Q3 or 2026-09"
    )
    parser.add_argument("--kelurahan", action="append", help="Only this kelurahan code (repeatable).")
    parser.add_argument("--html-only", action="store_true", help="Do not print PDFs (no Chromium needed).")
    args = parser.parse_args()
    settings = Settings.from_env()
    engine = make_engine(ensure_database(settings))
    period = _period(args.period)
    with engine.connect() as conn:
        codes = (
            args.kelurahan or conn.exec_driver_sql("SELECT code FROM kelurahan ORDER BY code").scalars().all()
        )
    folder = settings.var_dir / "reports" / "evaluasi"
    folder.mkdir(parents=True, exist_ok=True)
    failures = 0
    for code in codes:
        try:
            with engine.begin() as conn:
                data = build_report(conn, code, period)
            document = render_html(data)
            stem = folder / f"laporan-evaluasi-{code}-{period}"
            stem.with_suffix(".html").write_text(document, encoding="utf-8")
            if not args.html_only:
                to_pdf(document, stem.with_suffix(".pdf"))
            kind = "html" if args.html_only else "pdf"
            print(f"{code} {period}: {data['overall']['received']} complaints -> {stem}.{kind}")
        except SigkelError as exc:
            failures += 1
            print(f"{code} {period}: FAILED: {exc}", file=sys.stderr)
    engine.dispose()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
