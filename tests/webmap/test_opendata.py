"""The open data page lists every public dataset with licence and downloads; downloads are public."""

from __future__ import annotations

import io
import json

import pandas as pd
import sqlalchemy as sa


def test_open_data_page_lists_datasets_with_licences(client):
    html = client.get("/data-terbuka/").get_data(as_text=True)
    for dataset in ("kelurahan", "rw", "rt", "fasilitas", "populasi", "laporan"):
        assert f'id="dataset-{dataset}"' in html and f"/data-terbuka/{dataset}.gpkg" in html
    assert html.count('rel="license"') == 6 and "ODbL" in html and "CC BY 4.0" in html


def test_downloads_match_the_public_rows(client, conn):
    geo = client.get("/data-terbuka/fasilitas.geojson")
    assert geo.status_code == 200 and "attachment" in geo.headers["Content-Disposition"]
    public = conn.execute(sa.text("SELECT count(*) FROM facility WHERE public")).scalar()
    assert len(json.loads(geo.data)["features"]) == public
    csv = client.get("/data-terbuka/laporan.csv")
    frame = pd.read_csv(io.BytesIO(csv.data))
    shown = conn.execute(
        sa.text(
            "SELECT count(*) FROM complaint c JOIN complaint_category k ON k.code = c.category "
            "WHERE k.public AND NOT c.confidential AND c.geom_public IS NOT NULL"
        )
    ).scalar()
    assert len(frame) == shown and "description" not in frame.columns
    gpkg = client.get("/data-terbuka/rw.gpkg")
    assert gpkg.status_code == 200 and gpkg.data[:15] == b"SQLite format 3"
    assert client.get("/data-terbuka/reporter.csv").status_code == 404
    assert client.get("/data-terbuka/rw.exe").status_code == 404
