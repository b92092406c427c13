"""Planner pages: layer catalogue, classes for choropleths, downloads, runs started from the web
(background thread, status, stale runs), and the Musrenbang evidence page with its files."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import socket
import tempfile
import time
import uuid
import warnings
import zipfile

import geopandas as gpd
import mapclassify
import numpy as np
import pytest
import sqlalchemy as sa

from gis import auth
from gis.analysis.jobs import AnalysisParams, read_output, run_hotspots
from gis.errors import DataError
from gis.planning import background
from gis.planning import catalogue as cat
from gis.planning.jobs import PlanningParams, run_accessibility, run_coverage, run_deficit, run_siting

PASSWORD = "kata-sandi-uji-123"
KEL = "31.71.05.1001"


@pytest.fixture
def app(settings, conn, database_url):
    """The app joins the test's transaction; background jobs get their own engine on the test database."""
    from webmap import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SIGKEL_SETTINGS": settings,
            "SIGKEL_CONNECTION": conn,
            "DATABASE_URL": database_url,
        }
    )
    yield app
    engine = app.extensions.get("sigkel.engine")
    if engine is not None:
        engine.dispose()


@pytest.fixture
def committed_runs(engine):
    """Run ids committed by background jobs, deleted after the test."""
    made: list[int] = []
    yield made
    for run_id in made:
        background.wait(run_id, 60)
    if made:
        with engine.begin() as c:
            c.execute(sa.text("DELETE FROM analysis_run WHERE id = ANY(:ids)"), {"ids": made})


def _login(client, conn, role="planner", kelurahan=(KEL,)):
    username = f"{role}.{uuid.uuid4().hex[:8]}"
    auth.add_user(conn, username, f"Uji {role}", PASSWORD, role, list(kelurahan))
    token, user = auth.login(conn, username, PASSWORD, "10.0.0.9", "pytest")
    client.set_cookie("sigkel_sesi", token)
    return user


# --- catalogue -----------------------------------------------------------------------------------


def test_catalogue_lists_every_method_with_description_source_status_and_parameters(client, conn):
    hot, _ = run_hotspots(conn, AnalysisParams(shape="rw"))
    cov, _ = run_coverage(conn, PlanningParams(facility_type="posyandu", kelurahan=[KEL]))
    dfc, _ = run_deficit(conn, PlanningParams(facility_type="sd", level="rw"))
    page = client.get("/perencana/").get_data(as_text=True)
    for run_id in (hot, cov, dfc):
        assert f'value="{run_id}"' in page and f'data-run="{run_id}"' in page
    assert "Porsi penduduk dalam radius pencapaian standar SNI" in page  # coverage's description
    assert "Kebutuhan fasilitas menurut standar SNI" in page  # deficit's
    assert "jenis fasilitas: posyandu" in page and "tingkat: rw" in page
    assert "Penduduk 2026" in page and "Cempaka Putih Timur" in page
    assert page.count('class="badge done"') >= 3
    # base layers: population per RT with density, facilities per category, RW boundaries
    assert 'data-layer="penduduk"' in page and "jiwa/ha" in page and "109.278" in page and "290 RT" in page
    assert 'data-layer="fasilitas"' in page and "Posyandu (60)" in page
    assert 'data-layer="rw"' in page and "30 RW" in page
    # navigation to the new pages
    for href in ("/perencana/jalankan", "/perencana/bukti", "/perencana/peta"):
        assert f'href="{href}' in page


def test_catalogue_filters_by_method_category_status_and_period(client, conn):
    hot, _ = run_hotspots(conn, AnalysisParams(shape="rw", category="kebersihan"))
    cov, _ = run_coverage(conn, PlanningParams(facility_type="posyandu"))
    sd, _ = run_coverage(conn, PlanningParams(facility_type="sd"))
    page = client.get("/perencana/?method=coverage").get_data(as_text=True)
    assert f'value="{cov}"' in page and f'value="{sd}"' in page and f'value="{hot}"' not in page
    page = client.get("/perencana/?category=posyandu").get_data(as_text=True)
    assert f'value="{cov}"' in page and f'value="{sd}"' not in page and f'value="{hot}"' not in page
    page = client.get("/perencana/?category=kebersihan").get_data(as_text=True)
    assert f'value="{hot}"' in page and f'value="{cov}"' not in page
    # planning runs are dated by their population year
    assert f'value="{cov}"' not in client.get("/perencana/?to=2025-06-30").get_data(as_text=True)
    assert f'value="{cov}"' in client.get("/perencana/?from=2026-03-01&to=2026-03-31").get_data(as_text=True)
    failed = conn.execute(
        sa.text(
            "INSERT INTO analysis_run (method, parameters, status, message, code_version) "
            "VALUES ('deficit', '{}'::jsonb, 'failed', 'Gagal: uji', 'test') RETURNING id"
        )
    ).scalar_one()
    page = client.get("/perencana/?status=failed").get_data(as_text=True)
    assert f'data-run="{failed}"' in page and f'value="{failed}"' not in page  # not selectable
    assert f'data-run="{cov}"' not in page
    assert client.get("/perencana/?method=sihir").status_code == 422
    assert client.get("/perencana/?status=kabur").status_code == 422


def test_list_layers_period_and_private_runs(conn):
    private, _ = run_hotspots(
        conn, AnalysisParams(category="sosial", shape="rw", extra={"allow_private": True})
    )
    cov, _ = run_coverage(conn, PlanningParams(year=2026))
    ids = [r["id"] for r in cat.list_layers(conn)]
    assert cov in ids and private not in ids
    row = next(r for r in cat.list_layers(conn, method="coverage") if r["id"] == cov)
    assert row["period_from"] == dt.date(2026, 1, 1) and row["period_to"] == dt.date(2026, 12, 31)
    assert row["label"] == "Jangkauan layanan" and row["description"]
    with pytest.raises(DataError):
        cat.list_layers(conn, method="sihir")


# --- classes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["quantiles", "fisher_jenks", "equal_interval"])
@pytest.mark.parametrize("k", [3, 5, 7])
def test_classify_matches_mapclassify(scheme, k):
    y = np.random.default_rng(7).gamma(2.0, 50.0, size=300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "numba not installed"
        ref = {
            "quantiles": mapclassify.Quantiles,
            "fisher_jenks": mapclassify.FisherJenks,
            "equal_interval": mapclassify.EqualInterval,
        }[scheme](y, k=k)
    out = cat.classify(y, scheme, k)
    assert out["k"] == k and np.allclose(out["bins"], ref.bins)
    assert out["counts"] == [int(c) for c in ref.counts] and sum(out["counts"]) == 300
    assert out["min"] == pytest.approx(y.min()) and out["max"] == pytest.approx(y.max())


def test_classify_edge_cases():
    few = cat.classify([0, 0, 0, 0, 1, 1, 2], "quantiles", 5)  # fewer distinct values than classes
    assert few["k"] <= 3 and sum(few["counts"]) == 7 and few["bins"][-1] == 2
    one = cat.classify([4.0] * 10, "equal_interval", 5)
    assert one["k"] == 1 and one["bins"] == [4.0] and one["counts"] == [10]
    empty = cat.classify([np.nan, np.inf], "quantiles", 5)
    assert empty["k"] == 0 and empty["bins"] == []
    counts = [0] * 10 + [1] * 8 + [2] * 7 + [3, 4, 5, 6, 6]  # whole numbers: whole-number bounds
    snapped = cat.classify(counts, "quantiles", 4)
    assert snapped["integer"] and all(b == int(b) for b in snapped["bins"]) and 0 not in snapped["counts"]
    assert sum(snapped["counts"]) == len(counts) and snapped["bins"][-1] == 6
    big = np.random.default_rng(1).lognormal(3, 1, size=20_000)
    started = time.perf_counter()
    nb = cat.classify(big, "fisher_jenks", 7)
    assert time.perf_counter() - started < 5 and nb["k"] == 7 and sum(nb["counts"]) == 20_000
    assert nb["bins"][-1] == pytest.approx(big.max())
    with pytest.raises(DataError, match="Skema"):
        cat.classify([1, 2, 3], "jenks_asal", 5)
    with pytest.raises(DataError, match="3 sampai 7"):
        cat.classify([1, 2, 3], "quantiles", 9)


def test_classes_endpoint_matches_mapclassify_and_formats_indonesian(client, conn):
    run_id, _ = run_coverage(conn, PlanningParams(facility_type="sd", cell_size=100))
    values = read_output(conn, run_id)["nearest_m"].dropna().to_numpy(float)
    got = client.get(f"/perencana/runs/{run_id}/classes?field=nearest_m&scheme=fisher_jenks&k=5").get_json()
    assert got["field"] == "nearest_m" and got["k"] == 5 and got["n"] == len(values)
    assert got["bins"] == cat.classify(values, "fisher_jenks", 5)["bins"]
    assert got["colors"] == cat.PALETTES["YlOrRd"][5] and len(got["labels"]) == 5
    assert sum(got["counts"]) == len(values)
    # Indonesian number format: thousands with '.', decimals with ','
    persons = client.get(
        f"/perencana/runs/{run_id}/classes?field=persons&scheme=equal_interval&k=3"
    ).get_json()
    assert all(re.fullmatch(r"[0-9.,]+ – [0-9.,]+|[0-9.,]+", label) for label in persons["labels"])
    acc, _ = run_accessibility(conn, PlanningParams(facility_type="posyandu"))
    ids = client.get(f"/perencana/runs/{acc}/classes?field=access&k=4").get_json()
    assert all(re.fullmatch(r"\d+,\d+ – \d+,\d+", label) for label in ids["labels"]), ids["labels"]
    ens = client.get(f"/perencana/runs/{acc}/classes?field=access&k=4&lang=en").get_json()
    assert ens["bins"] == ids["bins"]
    assert all(re.fullmatch(r"\d+\.\d+ – \d+\.\d+", label) for label in ens["labels"]), ens["labels"]
    dfc, _ = run_deficit(conn, PlanningParams(facility_type="posyandu"))
    pop = client.get(f"/perencana/runs/{dfc}/classes?field=population&k=3&lang=id").get_json()
    assert all(re.fullmatch(r"\d{1,3}(\.\d{3})* – \d{1,3}(\.\d{3})*", label) for label in pop["labels"])
    assert any("." in label for label in pop["labels"])  # thousands: 5.535
    # refusals
    base = f"/perencana/runs/{run_id}/classes"
    assert client.get(f"{base}?field=kode_asal").status_code == 422
    assert client.get(f"{base}?field=nearest_m&scheme=acak").status_code == 422
    assert client.get(f"{base}?field=nearest_m&k=9").status_code == 422
    assert client.get(f"{base}?field=nearest_m;drop").status_code == 422
    assert client.get("/perencana/runs/987654321/classes?field=x").status_code == 404


def test_pooled_classes_make_colours_comparable(client, conn):
    a, fa = run_coverage(conn, PlanningParams(facility_type="posyandu"))
    b, fb = run_coverage(conn, PlanningParams(facility_type="sd"))
    both = client.get(f"/perencana/kelas?run={a}&run={b}&field=nearest_m&scheme=quantiles&k=5").get_json()
    pooled = np.concatenate(
        [fa["nearest_m"].dropna().to_numpy(float), fb["nearest_m"].dropna().to_numpy(float)]
    )
    assert both["bins"] == cat.classify(pooled, "quantiles", 5)["bins"]
    assert both["layers"] == [str(a), str(b)] and both["n"] == len(pooled)
    alone = client.get(f"/perencana/kelas?run={a}&field=nearest_m&scheme=quantiles&k=5").get_json()
    assert alone["bins"] != both["bins"]
    # a base layer classifies like a run
    dens = client.get("/perencana/kelas?run=penduduk&field=density_ha&k=5").get_json()
    assert dens["k"] == 5 and dens["n"] == 290
    assert client.get(f"/perencana/kelas?run={a}&run=penduduk&field=access").status_code == 422


def test_layer_fields(conn):
    cov, _ = run_coverage(conn, PlanningParams(facility_type="posyandu"))
    fields = {f.name: f.kind for f in cat.layer_fields(conn, cat.parse_ref(str(cov)))}
    assert cat.layer_fields(conn, cat.parse_ref(str(cov)))[0].name == "nearest_m"
    assert fields["nearest_m"] == "numeric" and fields["covered"] == "boolean"
    assert "code" not in fields and "kind" not in fields
    hot, _ = run_hotspots(conn, AnalysisParams(shape="rw"))
    first = cat.layer_fields(conn, cat.parse_ref(str(hot)))[0]
    assert (first.name, first.kind) == ("gi_bin", "bins")
    pop = cat.layer_fields(conn, cat.parse_ref("penduduk"))
    assert pop[0].name == "density_ha" and {"persons", "density_ha"} <= {f.name for f in pop}
    with pytest.raises(DataError):
        cat.parse_ref("penduduk:posyandu")
    with pytest.raises(DataError):
        cat.parse_ref("../etc")


# --- maps ----------------------------------------------------------------------------------------


def _config(page: str) -> dict:
    text = re.search(r'<script id="planner-config" type="application/json">(.*?)</script>', page, re.S)[1]
    return json.loads(text)


def test_map_page_for_one_or_two_layers(client, conn):
    cov, _ = run_coverage(conn, PlanningParams(facility_type="posyandu"))
    dfc, _ = run_deficit(conn, PlanningParams(facility_type="posyandu"))
    page = client.get(f"/perencana/peta?run={cov}&run={dfc}&scheme=fisher_jenks&k=4&opacity=60")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    config = _config(html)
    assert [m["ref"] for m in config["maps"]] == [str(cov), str(dfc)]
    assert config["maps"][0]["fields"][0]["name"] == "nearest_m"
    assert config["maps"][1]["fields"][0]["name"] == "gap"
    assert (config["scheme"], config["k"], config["opacity"]) == ("fisher_jenks", 4, 60)
    assert html.count('class="map-box"') == 2 and 'id="opacity"' in html
    assert 'value="fisher_jenks" selected' in html
    assert f"/perencana/runs/{cov}.gpkg" in html and f"/perencana/runs/{cov}.shp" in html
    base = client.get("/perencana/peta?run=penduduk&run=fasilitas:posyandu")
    assert base.status_code == 200
    assert [m["url"] for m in _config(base.get_data(as_text=True))["maps"]] == [
        "/perencana/lapisan/penduduk.geojson",
        "/perencana/lapisan/fasilitas:posyandu.geojson",
    ]
    geo = client.get("/perencana/lapisan/fasilitas:posyandu.geojson").get_json()
    assert len(geo["features"]) == 60 and {f["properties"]["category"] for f in geo["features"]} == {
        "posyandu"
    }
    assert len(client.get("/perencana/lapisan/penduduk.geojson").get_json()["features"]) == 290
    assert client.get("/perencana/peta?run=987654321").status_code == 404
    assert client.get("/perencana/peta?run=drop%20table").status_code == 422
    assert client.get(f"/perencana/peta?run={cov}&k=12").status_code == 422
    assert client.get("/perencana/lapisan/fasilitas:tidak_ada.geojson").status_code == 404


# --- downloads -----------------------------------------------------------------------------------


@pytest.fixture
def clean_tmp(tmp_path, monkeypatch):
    """Temporary files go under tmp_path, so the test can see that none are left behind."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def test_run_downloads_in_every_format(client, conn, clean_tmp):
    run_id, frame = run_siting(conn, PlanningParams(facility_type="sd", k=3))
    assert len(frame) > 0
    expected = {
        f"/perencana/runs/{run_id}.geojson?unduh=1": ("application/geo+json", ".geojson"),
        f"/perencana/runs/{run_id}.gpkg": ("application/geopackage+sqlite3", ".gpkg"),
        f"/perencana/runs/{run_id}.shp": ("application/zip", ".zip"),
        f"/perencana/runs/{run_id}.csv": ("text/csv", ".csv"),
    }
    for url, (mimetype, ext) in expected.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == mimetype
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;") and f"sigkel-run-{run_id}-siting{ext}" in disposition
        body = response.get_data()
        if ext == ".zip":
            names = zipfile.ZipFile(io.BytesIO(body)).namelist()
            assert {n.rsplit(".", 1)[1] for n in names} >= {"shp", "shx", "dbf", "prj", "cpg"}
            key = zipfile.ZipFile(io.BytesIO(body)).read("kolom.csv").decode()
            assert "populati_1,cumulative_covered" in key or "population_gained" in key
            path = clean_tmp / "check.zip"
            path.write_bytes(body)
            back = gpd.read_file(f"zip://{path}")
        elif ext == ".csv":
            text = body.decode()
            assert text.splitlines()[0].endswith("wkt") and len(text.strip().splitlines()) == len(frame) + 1
            continue
        else:
            path = clean_tmp / f"check{ext}"
            path.write_bytes(body)
            back = gpd.read_file(path)
        assert len(back) == len(frame) and (back.geom_type == "Point").all()
        path.unlink()
    assert not [p for p in clean_tmp.iterdir() if p.name.startswith("sigkel-unduh-")]
    # the map's own GeoJSON stays inline
    inline = client.get(f"/perencana/runs/{run_id}.geojson")
    assert (
        "attachment" not in inline.headers.get("Content-Disposition", "")
        and inline.get_json()["run"] == run_id
    )


def test_downloads_refuse_unknown_private_and_unfinished_runs(client, conn, clean_tmp):
    assert client.get("/perencana/runs/987654321.gpkg").status_code == 404
    private, _ = run_hotspots(
        conn, AnalysisParams(category="sosial", shape="rw", extra={"allow_private": True})
    )
    for fmt in ("gpkg", "shp", "csv"):
        assert client.get(f"/perencana/runs/{private}.{fmt}").status_code == 404
    assert client.get(f"/perencana/runs/{private}.geojson?unduh=1").status_code == 404
    running = conn.execute(
        sa.text(
            "INSERT INTO analysis_run (method, parameters, code_version) "
            "VALUES ('coverage', '{}', 't') RETURNING id"
        )
    ).scalar_one()
    assert client.get(f"/perencana/runs/{running}.gpkg").status_code == 404
    assert client.get(f"/perencana/runs/{running}.xls").status_code == 404
    assert not list(clean_tmp.iterdir())


def test_base_layer_downloads(client, clean_tmp):
    response = client.get("/perencana/lapisan/rw.gpkg")
    assert response.status_code == 200 and "sigkel-rw.gpkg" in response.headers["Content-Disposition"]
    path = clean_tmp / "rw.gpkg"
    path.write_bytes(response.get_data())
    assert len(gpd.read_file(path)) == 30
    shp = client.get("/perencana/lapisan/fasilitas.shp")
    assert shp.status_code == 200 and "kolom.csv" in zipfile.ZipFile(io.BytesIO(shp.get_data())).namelist()
    geo = client.get("/perencana/lapisan/penduduk.geojson?unduh=1")
    assert geo.status_code == 200 and "attachment" in geo.headers["Content-Disposition"]


# --- running an analysis from the web ------------------------------------------------------------


def test_run_form_needs_a_planner_or_admin_and_csrf(client, conn):
    response = client.get("/perencana/jalankan")
    assert response.status_code == 302 and "/petugas/masuk" in response.headers["Location"]
    assert client.post("/perencana/jalankan", data={"method": "deficit"}).status_code == 401
    _login(client, conn, role="staff")
    assert client.get("/perencana/jalankan").status_code == 403
    user = _login(client, conn, role="planner")
    page = client.get("/perencana/jalankan")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'value="{KEL}"' in html and 'value="31.71.05.1002"' not in html  # only the user's scope
    assert 'name="csrf_token"' in html and 'value="posyandu"' in html and "tanpa radius" in html
    assert client.post("/perencana/jalankan", data={"method": "deficit", "kelurahan": KEL}).status_code == 403
    assert user.csrf_token


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({}, "method", "Pilih metode analisis."),
        (
            {"method": "coverage", "facility_type": "posyandu", "kelurahan": "31.71.05.1002"},
            "kelurahan",
            "Pilih kelurahan dalam wilayah tugas Anda.",
        ),
        (
            {"method": "coverage", "facility_type": "balai_warga"},
            "facility_type",
            "tidak menetapkan radius pencapaian",
        ),
        ({"method": "deficit", "facility_type": "menara_air"}, "facility_type", "Pilih jenis fasilitas"),
        (
            {"method": "coverage", "facility_type": "posyandu", "year": "1999"},
            "year",
            "Tidak ada data penduduk tahun 1999",
        ),
        (
            {"method": "coverage", "facility_type": "posyandu", "cell_size": "5"},
            "cell_size",
            "Ukuran sel harus angka 25 sampai 1.000 meter",
        ),
        (
            {"method": "coverage", "facility_type": "posyandu", "cell_size": "seratus"},
            "cell_size",
            "Ukuran sel",
        ),
        (
            {"method": "accessibility", "facility_type": "posyandu", "variant": "terbang"},
            "variant",
            "Pilih varian aksesibilitas",
        ),
        ({"method": "deficit", "facility_type": "posyandu", "level": "rt"}, "level", "Pilih tingkat"),
        ({"method": "siting", "facility_type": "sd", "k": "0"}, "k", "bilangan bulat 1 sampai 20"),
        ({"method": "siting", "facility_type": "sd", "k": "2.5"}, "k", "bilangan bulat 1 sampai 20"),
        ({"method": "hotspots", "category": "sosial"}, "category", "Pilih kategori pengaduan publik"),
        ({"method": "hotspots", "shape": "bintang"}, "shape", "Pilih bentuk unit"),
        ({"method": "hotspots", "date_from": "kemarin"}, "date_from", "TTTT-BB-HH"),
        (
            {"method": "hotspots", "date_from": "2026-05-01", "date_to": "2026-04-01"},
            "date_to",
            "tidak boleh sebelum",
        ),
    ],
)
def test_run_form_validates_every_field(client, conn, form, field, message):
    user = _login(client, conn)
    data = {"kelurahan": KEL, **form, "csrf_token": user.csrf_token}
    before = conn.execute(sa.text("SELECT count(*) FROM analysis_run")).scalar()
    response = client.post("/perencana/jalankan", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="err-{field}"' in html and message in html and 'role="alert"' in html
    assert conn.execute(sa.text("SELECT count(*) FROM analysis_run")).scalar() == before


def test_deficit_from_the_form_runs_in_the_background(client, conn, committed_runs):
    user = _login(client, conn)
    response = client.post(
        "/perencana/jalankan",
        data={
            "method": "deficit",
            "facility_type": "posyandu",
            "level": "rw",
            "kelurahan": KEL,
            "csrf_token": user.csrf_token,
            "cell_size": "100",
        },
    )
    assert response.status_code == 303
    run_id = int(re.fullmatch(r".*/perencana/runs/([0-9]+)", response.headers["Location"])[1])
    committed_runs.append(run_id)
    assert background.wait(run_id, 60)
    state = client.get(f"/perencana/runs/{run_id}/status").get_json()
    assert state["status"] == "done", state["message"]
    assert state["map_url"] == f"/perencana/peta?run={run_id}" and state["elapsed_s"] >= 0
    assert "posyandu per rw" in state["message"]
    row = (
        conn.execute(
            sa.text(
                "SELECT method, kelurahan_code, parameters, inputs, output_layer "
                "FROM analysis_run WHERE id = :r"
            ),
            {"r": run_id},
        )
        .mappings()
        .one()
    )
    assert row["method"] == "deficit" and row["kelurahan_code"] == KEL
    assert row["parameters"]["cell_size"] is None and row["parameters"]["level"] == "rw"  # never a grid
    assert row["inputs"]["background"] is True and "worker" not in row["inputs"]
    assert row["output_layer"] == f"run:{run_id}"
    rws = conn.execute(sa.text("SELECT count(*) FROM rw WHERE kelurahan_code = :k"), {"k": KEL}).scalar()
    assert len(read_output(conn, run_id)) == rws == 8  # the kelurahan's RWs, moved to the placeholder
    job_rows = conn.execute(  # the job's own row is gone: only the placeholder holds the run
        sa.text(
            "SELECT count(*) FROM analysis_run WHERE id > :r AND method = 'deficit' AND kelurahan_code = :k"
        ),
        {"r": run_id, "k": KEL},
    ).scalar()
    assert job_rows == 0
    page = client.get(f"/perencana/runs/{run_id}").get_data(as_text=True)
    assert 'data-status="done"' in page and f'href="/perencana/peta?run={run_id}"' in page
    assert "/static/js/planner-status.js" in page
    audit = conn.execute(
        sa.text(
            "SELECT user_id, object_id FROM audit_log WHERE action = 'analysis.start' "
            "ORDER BY id DESC LIMIT 1"
        )
    ).one()
    assert audit == (user.id, str(run_id))


@pytest.mark.parametrize(
    ("form", "method", "check"),
    [
        ({"method": "hotspots", "shape": "hex", "category": "kebersihan"}, "hotspots", "gi_bin"),
        (
            {"method": "accessibility", "facility_type": "posyandu", "variant": "gaussian"},
            "accessibility",
            "access",
        ),
        (
            {"method": "siting", "facility_type": "tk", "k": "2", "cell_size": "100"},
            "siting",
            "population_gained",
        ),
        (
            {"method": "coverage", "facility_type": "tk", "cell_size": "150,0", "year": "2026"},
            "coverage",
            "nearest_m",
        ),
    ],
)
def test_other_methods_from_the_form(client, conn, committed_runs, form, method, check):
    user = _login(client, conn)
    response = client.post(
        "/perencana/jalankan", data={**form, "kelurahan": KEL, "csrf_token": user.csrf_token}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    run_id = int(response.headers["Location"].rsplit("/", 1)[1])
    committed_runs.append(run_id)
    assert background.wait(run_id, 120)
    state = client.get(f"/perencana/runs/{run_id}/status").get_json()
    assert state["status"] == "done", state["message"]
    run = cat.servable_run(conn, run_id)
    assert run["method"] == method and run["kelurahan_code"] == KEL
    assert check in {f.name for f in cat.layer_fields(conn, cat.parse_ref(str(run_id)))}, run["message"]
    if "cell_size" in form:
        assert run["parameters"]["cell_size"] == float(form["cell_size"].replace(",", "."))


def test_a_failing_job_is_recorded_as_failed(engine, committed_runs):
    run_id = background.start(engine, "coverage", PlanningParams(facility_type="masjid_kelurahan"))
    committed_runs.append(run_id)
    assert background.wait(run_id, 60)
    with engine.connect() as c:
        state = background.status(c, run_id)
    assert state["status"] == "failed" and "no service radius" in state["message"]
    assert state["message"].startswith("Gagal:")


def test_unexpected_errors_are_recorded_without_details(engine, committed_runs, monkeypatch):
    def boom(conn, method, params):
        raise RuntimeError("connection string postgresql://secret@host")

    monkeypatch.setattr(background, "run_job", boom)
    run_id = background.start(engine, "deficit", PlanningParams())
    committed_runs.append(run_id)
    assert background.wait(run_id, 30)
    with engine.connect() as c:
        state = background.status(c, run_id)
    assert state["status"] == "failed" and "RuntimeError" in state["message"]
    assert "secret" not in state["message"]


def _running_row(conn, age_s: float, worker: str | None) -> int:
    inputs = json.dumps({"background": True, **({"worker": worker} if worker else {})})
    return conn.execute(
        sa.text(
            "INSERT INTO analysis_run (method, parameters, inputs, status, message, code_version, "
            "started_at) VALUES ('coverage', '{}', CAST(:i AS jsonb), 'running', 'Sedang dihitung', 't', "
            "now() - CAST(:age AS interval)) RETURNING id"
        ),
        {"i": inputs, "age": f"{age_s} seconds"},
    ).scalar_one()


def test_stale_and_orphaned_runs_do_not_stay_running(client, conn):
    old = _running_row(conn, 3 * 3600, None)
    state = client.get(f"/perencana/runs/{old}/status").get_json()
    assert state["status"] == "failed" and state["stale"] and "Terhenti" in state["message"]
    assert (
        conn.execute(sa.text("SELECT status FROM analysis_run WHERE id = :r"), {"r": old}).scalar()
        == "failed"
    )
    # a process that no longer exists on this host: failed at once, not after half an hour
    dead = 2**22 + 12345
    while True:
        try:
            os.kill(dead, 0)
            dead += 1
        except ProcessLookupError:
            break
        except PermissionError:
            dead += 1
    orphan = _running_row(conn, 10, f"{socket.gethostname()}:{dead}")
    assert client.get(f"/perencana/runs/{orphan}/status").get_json()["status"] == "failed"
    # this process, but no thread: also gone
    lost = _running_row(conn, 10, f"{socket.gethostname()}:{os.getpid()}")
    assert client.get(f"/perencana/runs/{lost}/status").get_json()["status"] == "failed"
    # a live process elsewhere, recently started: still running
    alive = _running_row(conn, 10, f"{socket.gethostname()}:1")
    assert client.get(f"/perencana/runs/{alive}/status").get_json()["status"] == "running"
    other_host = _running_row(conn, 60, "server-lain:4242")
    assert client.get(f"/perencana/runs/{other_host}/status").get_json()["status"] == "running"
    # the catalogue records stale rows as failed too
    stale = _running_row(conn, 2 * 3600, "server-lain:4242")
    client.get("/perencana/")
    assert (
        conn.execute(sa.text("SELECT status FROM analysis_run WHERE id = :r"), {"r": stale}).scalar()
        == "failed"
    )
    assert client.get("/perencana/runs/987654321/status").status_code == 404


def test_too_many_waiting_runs_are_refused(client, conn):
    user = _login(client, conn)
    for _ in range(4):
        _running_row(conn, 1, "server-lain:4242")
    response = client.post(
        "/perencana/jalankan",
        data={
            "method": "deficit",
            "facility_type": "posyandu",
            "kelurahan": KEL,
            "csrf_token": user.csrf_token,
        },
    )
    assert response.status_code == 429 and "Tunggu sampai selesai" in response.get_data(as_text=True)


def test_status_page_of_a_running_run_polls(client, conn):
    run_id = _running_row(conn, 1, "server-lain:4242")
    page = client.get(f"/perencana/runs/{run_id}").get_data(as_text=True)
    assert 'data-status="running"' in page and 'http-equiv="refresh"' in page
    assert '"interval": 2000' in page and f"/perencana/runs/{run_id}/status" in page
    assert 'id="run-done" hidden' in page


# --- evidence ------------------------------------------------------------------------------------


def test_evidence_page_is_printable_and_states_year_and_period(client):
    response = client.get(f"/perencana/bukti?kelurahan={KEL}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("<tr data-rw=") == 8 and "Cempaka Putih Timur" in html
    assert '<span id="evidence-year">2026</span>' in html
    period = re.search(r'<span id="evidence-period">([0-9-]{10}) – ([0-9-]{10})</span>', html)
    since, until = (dt.date.fromisoformat(d) for d in period.groups())
    assert 360 <= (until - since).days <= 370
    assert "/static/css/planner.css" in html and "Posyandu" in html and "<tfoot>" in html
    assert "/perencana/bukti.csv?bulan=12&amp;jenis=posyandu" in html and "kelurahan=31.71.05.1001" in html
    six = client.get(f"/perencana/bukti?kelurahan={KEL}&bulan=6&jenis=sd").get_data(as_text=True)
    assert "(6 bulan)" in six and '"colgroup">Sekolah Dasar<' in six and '"colgroup">Posyandu<' not in six
    assert client.get("/perencana/bukti?kelurahan=31.71.05.9999").status_code == 404
    assert client.get("/perencana/bukti?jenis=menara_air").status_code == 422
    assert client.get("/perencana/bukti?bulan=99").status_code == 422
    assert client.get("/perencana/bukti?year=1990").status_code == 422


def test_print_css_is_a4_landscape_with_repeated_header():
    from gis.config import project_root

    css = (project_root() / "webmap" / "static" / "css" / "planner.css").read_text()
    assert "@page { size: A4 landscape" in css and "display: table-header-group" in css
    assert "header.site nav" in css[css.index("@media print") :]


def test_evidence_files(client):
    csv_response = client.get(f"/perencana/bukti.csv?kelurahan={KEL}")
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    assert f"bukti-musrenbang-{KEL}-2026.csv" in csv_response.headers["Content-Disposition"]
    body = csv_response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Kode RW,RW,Kelurahan,Luas (ha),Jumlah jiwa") and len(lines) == 9
    xlsx = client.get(f"/perencana/bukti.xlsx?kelurahan={KEL}&jenis=posyandu")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["Content-Disposition"]
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(xlsx.get_data()))
    assert book.sheetnames == ["Bukti per RW", "Keterangan"]
    header = [c.value for c in book["Bukti per RW"][1]]
    assert "Posyandu: kekurangan" in header and book["Bukti per RW"].max_row == 9
