"""Seeded generator of the demo's synthetic layers: RT polygons, facilities, population, complaints.

No public RT polygons, population per RT or complaint records exist for Cempaka Putih, so the demo
makes them, and marks every generated row ``synthetic``. The rules (documented in
``data/demo/SOURCE.md``):

* **RT**: each RW is split into k = clamp(round(area / 1.4 ha), 5, 16) parts by k-means on random
  points inside it, then a Voronoi diagram of the centres clipped to the RW; the parts tile the RW.
* **Population** (year 2026): RT population proportional to area at 230 persons/ha with
  ±35% noise; households = persons / 3.6; sexes and age groups drawn from Jakarta Pusat's shares.
* **Facilities**: only the categories the survey lacks: a kantor kelurahan per kelurahan, a
  kantor kecamatan, a puskesmas, a pustu per kelurahan, posyandu, mosques and pos kamling per RW,
  schools, parks, a market and waste collection points, at random points inside their unit.
* **Complaints**: one year (2025-11-01 to 2026-10-31); per category, a mixture of 2–4 hotspots
  (Gaussian, σ 60–150 m) and a population-weighted background; drainage complaints favour
  flood-prone RWs and the rainy season; resolution times are log-normal per category; recent
  complaints are still open; a few are rejected with a reason.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.crs import utm_epsg

__all__ = ["make_rt", "make_population", "make_facilities", "make_complaints", "SYNTHETIC_SOURCE"]

SYNTHETIC_SOURCE = "synthetic-demo-v1"
PERIOD = (dt.datetime(2025, 11, 1, tzinfo=dt.UTC), dt.datetime(2026, 10, 31, 23, 59, tzinfo=dt.UTC))
TODAY = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


def _metric(gdf: gpd.GeoDataFrame) -> int:
    centre = gdf.union_all().centroid
    return utm_epsg(centre.x, centre.y)


def _points_in(poly, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random points inside a polygon (rejection sampling on its bounds)."""
    minx, miny, maxx, maxy = poly.bounds
    out = []
    prepared = shapely.prepared.prep(poly)
    while len(out) < n:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(max(64, 4 * n), 2))
        keep = [p for p in xy if prepared.contains(shapely.Point(p))]
        out.extend(keep)
    return np.asarray(out[:n])


def _kmeans(points: np.ndarray, k: int, rng: np.random.Generator, iters: int = 25) -> np.ndarray:
    centres = points[rng.choice(len(points), k, replace=False)]
    for _ in range(iters):
        label = np.argmin(((points[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
        centres = np.array(
            [points[label == j].mean(0) if (label == j).any() else centres[j] for j in range(k)]
        )
    return centres


def _split(poly, k: int, rng: np.random.Generator) -> list:
    centres = _kmeans(_points_in(poly, 60 * k, rng), k, rng)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(centres), extend_to=poly).geoms
    # Order parts north-west to south-east so RT numbers read like a map.
    parts = [c.intersection(poly) for c in cells]
    parts = [p for p in parts if not p.is_empty and p.area > 0]
    return sorted(parts, key=lambda p: (-round(p.centroid.y, -1), p.centroid.x))


def _as_multi(geom):
    polys = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type == "Polygon"]
    return shapely.MultiPolygon(polys)


def make_rt(rw: gpd.GeoDataFrame, seed: int = 2026) -> gpd.GeoDataFrame:
    """Split every RW into RT polygons that tile it exactly (up to a 1e-7° precision grid)."""
    rng = np.random.default_rng(seed)
    epsg = _metric(rw)
    metric = rw.to_crs(epsg)
    rows = []
    for (_, row), geom in zip(rw.iterrows(), metric.geometry, strict=True):
        k = int(np.clip(round(geom.area / 14_000), 5, 16))
        for number, part in enumerate(_split(geom, k, rng), start=1):
            rows.append(
                {
                    "code": f"{row['code']}.RT{number:03d}",
                    "kelurahan_code": row["kelurahan_code"],
                    "rw_code": row["code"],
                    "number": number,
                    "name": f"RT {number:03d}/RW {row['number']:03d}",
                    "source": SYNTHETIC_SOURCE,
                    "synthetic": True,
                    "geometry": part,
                }
            )
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=epsg).to_crs(4326)
    snapped = shapely.set_precision(out.geometry.values, 1e-7)
    out["geometry"] = [_as_multi(shapely.make_valid(g)) for g in snapped]
    return out


def make_population(rt: gpd.GeoDataFrame, year: int = 2026, seed: int = 2026) -> pd.DataFrame:
    """Population per RT and per RW (RW = sum of its RTs), marked synthetic."""
    rng = np.random.default_rng(seed + 1)
    area_ha = rt.to_crs(_metric(rt)).area.to_numpy() / 10_000
    persons = np.maximum(40, np.round(area_ha * 230 * rng.uniform(0.65, 1.35, len(rt)))).astype(int)
    male = np.round(persons * rng.normal(0.497, 0.01, len(rt))).astype(int)
    shares = rng.dirichlet([7.5, 15, 70, 7.5], len(rt))  # 0-4, 5-14, 15-64, 65+
    ages = np.floor(shares * persons[:, None]).astype(int)
    ages[:, 2] += persons - ages.sum(1)
    rt_pop = pd.DataFrame(
        {
            "kelurahan_code": rt["kelurahan_code"].to_numpy(),
            "rw_code": rt["rw_code"].to_numpy(),
            "rt_code": rt["code"].to_numpy(),
            "unit_code": rt["code"].to_numpy(),
            "year": year,
            "households": np.round(persons / 3.6).astype(int),
            "persons": persons,
            "male": male,
            "female": persons - male,
            "age_0_4": ages[:, 0],
            "age_5_14": ages[:, 1],
            "age_15_64": ages[:, 2],
            "age_65_plus": ages[:, 3],
        }
    )
    sums = ["households", "persons", "male", "female", "age_0_4", "age_5_14", "age_15_64", "age_65_plus"]
    rw_pop = rt_pop.groupby(["kelurahan_code", "rw_code"], as_index=False)[sums].sum()
    rw_pop["rt_code"] = None
    rw_pop["unit_code"] = rw_pop["rw_code"]
    rw_pop["year"] = year
    out = pd.concat([rw_pop[rt_pop.columns], rt_pop], ignore_index=True)
    out["source"] = SYNTHETIC_SOURCE
    out["synthetic"] = True
    return out


KELURAHAN_SERVICES = [
    {"layanan": "KTP elektronik", "syarat": ["Fotokopi KK", "Surat pengantar RT/RW"]},
    {
        "layanan": "Kartu Keluarga (KK)",
        "syarat": ["KK lama", "Surat pengantar RT/RW", "Buku nikah / akta cerai bila ada perubahan"],
    },
    {
        "layanan": "Akta kelahiran",
        "syarat": ["Surat keterangan lahir", "KK dan KTP orang tua", "Buku nikah orang tua"],
    },
    {"layanan": "Surat pengantar", "syarat": ["KTP", "KK", "Surat pengantar RT/RW"]},
    {"layanan": "Izin usaha mikro (IUMK)", "syarat": ["KTP", "KK", "Pas foto 4x6", "Surat pengantar RT/RW"]},
]
_OFFICE_HOURS = "Senin–Jumat 08.00–16.00"
# (category, unit level, how many per unit, name pattern, attributes)
_FACILITY_PLAN = [
    (
        "kantor_kelurahan",
        "kelurahan",
        1,
        "Kantor Kelurahan {kel}",
        {"jam_buka": _OFFICE_HOURS, "layanan": KELURAHAN_SERVICES},
    ),
    ("kantor_kecamatan", "kecamatan", 1, "Kantor Kecamatan Cempaka Putih", {"jam_buka": _OFFICE_HOURS}),
    (
        "puskesmas",
        "kecamatan",
        1,
        "Puskesmas Kecamatan Cempaka Putih",
        {
            "jam_buka": "Senin–Sabtu 07.30–16.00",
            "layanan": ["Poli umum", "KIA/KB", "Imunisasi", "Gigi", "Laboratorium"],
        },
    ),
    (
        "puskesmas_pembantu",
        "kelurahan",
        1,
        "Puskesmas Pembantu {kel}",
        {"jam_buka": "Senin–Jumat 08.00–14.00", "layanan": ["Poli umum", "Imunisasi"]},
    ),
    (
        "posyandu",
        "rw",
        2,
        "Posyandu {flower} {rw}",
        {
            "jam_buka": "Sebulan sekali, pukul 08.00–11.00",
            "layanan": ["Penimbangan balita", "Imunisasi", "Vitamin A", "Konsultasi gizi"],
        },
    ),
    ("masjid", "rw", 1, "Masjid {mosque} {rw}", {}),
    ("pos_kamling", "rw", 1, "Pos Kamling {rw}", {"jam_buka": "Setiap malam 22.00–04.00"}),
    ("tk_paud", "kelurahan", 3, "PAUD/TK {flower} {kel}", {"jam_buka": "Senin–Jumat 07.30–11.00"}),
    ("sd", "kelurahan", 3, "SD Negeri {kel} {n:02d}", {"jam_buka": "Senin–Jumat 06.30–13.00"}),
    ("smp", "kelurahan", 1, "SMP Negeri {kel}", {"jam_buka": "Senin–Jumat 06.30–14.00"}),
    ("taman", "kelurahan", 2, "Taman {flower} {kel}", {"jam_buka": "Setiap hari 06.00–18.00"}),
    ("pasar", "kecamatan", 1, "Pasar Cempaka Putih", {"jam_buka": "Setiap hari 04.00–16.00"}),
    ("tps", "kelurahan", 2, "TPS {kel} {n}", {"jam_buka": "Pengangkutan setiap hari"}),
]
_FLOWERS = ["Melati", "Mawar", "Anggrek", "Kenanga", "Cempaka", "Dahlia", "Teratai", "Flamboyan"]
_MOSQUES = ["Al-Ikhlas", "At-Taqwa", "Al-Hidayah", "Nurul Iman", "Al-Muhajirin", "Baiturrahman"]


def make_facilities(units: dict[str, gpd.GeoDataFrame], seed: int = 2026) -> gpd.GeoDataFrame:
    """Synthetic facilities for the categories the surveyed points lack."""
    rng = np.random.default_rng(seed + 2)
    kel_names = dict(zip(units["kelurahan"]["code"], units["kelurahan"]["name"], strict=True))
    rows = []
    for category, level, per_unit, pattern, attributes in _FACILITY_PLAN:
        for _, unit in units[level].iterrows():
            kel = kel_names.get(unit.get("kelurahan_code", unit["code"]), "")
            for n in range(1, per_unit + 1):
                point = _points_in(unit.geometry, 1, rng)[0]
                name = pattern.format(
                    kel=kel,
                    rw=unit.get("name", ""),
                    n=n,
                    flower=_FLOWERS[rng.integers(len(_FLOWERS))],
                    mosque=_MOSQUES[rng.integers(len(_MOSQUES))],
                )
                rows.append(
                    {
                        "category": category,
                        "name": f"{name} (contoh)",
                        "address": None,
                        "attributes": attributes,
                        "source": SYNTHETIC_SOURCE,
                        "source_id": f"{category}-{unit['code']}-{n}",
                        "synthetic": True,
                        "geometry": shapely.Point(np.round(point, 7)),
                    }
                )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)


# category: (share, median working days to resolve, hotspots, description templates)
_COMPLAINTS = {
    "kebersihan": (
        0.30,
        2.0,
        4,
        [
            "Sampah menumpuk di {place} sudah {d} hari belum diangkut.",
            "Ada pembuangan sampah liar di {place}.",
            "Bak sampah di {place} penuh dan berbau.",
        ],
    ),
    "drainase_banjir": (
        0.15,
        5.0,
        3,
        [
            "Saluran air di {place} tersumbat, air meluap saat hujan.",
            "Genangan setinggi betis di {place} setelah hujan deras.",
            "Got di {place} mampet, perlu dikuras.",
        ],
    ),
    "jalan_rusak": (
        0.13,
        8.0,
        3,
        [
            "Jalan berlubang di {place}, membahayakan pengendara.",
            "Aspal di {place} mengelupas sepanjang beberapa meter.",
            "Tutup saluran di {place} pecah.",
        ],
    ),
    "penerangan_jalan": (
        0.10,
        4.0,
        2,
        ["Lampu PJU di {place} mati sejak minggu lalu.", "Lampu jalan di {place} berkedip-kedip."],
    ),
    "ketertiban_umum": (
        0.10,
        3.0,
        3,
        ["Parkir liar menutup jalan di {place}.", "Pedagang kaki lima memakan trotoar di {place}."],
    ),
    "keamanan": (
        0.07,
        2.0,
        2,
        [
            "Beberapa kali terjadi pencurian motor di sekitar {place}.",
            "Sering ada kelompok pemuda mabuk di {place} pada malam hari.",
        ],
    ),
    "kesehatan_lingkungan": (
        0.07,
        3.0,
        2,
        ["Banyak jentik nyamuk di genangan {place}, ada warga terkena DBD.", "Bau menyengat dari {place}."],
    ),
    "fasilitas_umum": (
        0.05,
        10.0,
        2,
        ["Ayunan di {place} rusak dan berbahaya untuk anak.", "Bangku taman di {place} patah."],
    ),
    "sosial": (
        0.03,
        3.0,
        1,
        [
            "Ada warga lansia hidup sendiri di sekitar {place} butuh bantuan.",
            "Dugaan penelantaran anak di sekitar {place}.",
        ],
    ),
}
_PLACES = [
    "gang masjid",
    "depan pos RW",
    "pertigaan dekat warung",
    "samping sekolah",
    "ujung gang buntu",
    "belakang pasar",
    "pinggir kali",
    "depan balai warga",
    "dekat halte",
    "jalan utama",
]


def _working_days_after(start: dt.datetime, days: float) -> dt.datetime:
    """``start`` plus ``days`` working days (Monday to Friday; holidays come with the SLA clock)."""
    whole, frac = int(days), days - int(days)
    current = start
    while whole > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            whole -= 1
    return current + dt.timedelta(hours=8 * frac)


def _times(n: int, category: str, rng: np.random.Generator) -> list[dt.datetime]:
    span = (PERIOD[1] - PERIOD[0]).total_seconds()
    out = []
    while len(out) < n:
        t = PERIOD[0] + dt.timedelta(seconds=float(rng.uniform(0, span)))
        rainy = t.month in (12, 1, 2, 3)
        keep = 1.0 if category != "drainase_banjir" else (1.0 if rainy else 0.25)
        hour_wib = (t.hour + 7) % 24  # Jakarta is UTC+7
        hour_weight = 1.0 if 6 <= hour_wib <= 22 else 0.2
        if rng.uniform() < keep * hour_weight:
            out.append(t.replace(microsecond=0))
    return sorted(out)


def _locations(n: int, category: str, hotspots: int, rt, rw, epsg: int, rng) -> np.ndarray:
    rt_m = rt.to_crs(epsg)
    weights = rt["persons"].to_numpy(float)
    if category == "drainase_banjir":
        weights = weights * np.where(rt["flood_prone"].to_numpy(), 6.0, 1.0)
    n_hot = int(round(n * 0.55))
    centres_idx = rng.choice(len(rt), hotspots, p=weights / weights.sum())
    sigma = rng.uniform(60, 150, hotspots)
    union = rw.to_crs(epsg).union_all()
    pts = []
    while len(pts) < n_hot:
        j = rng.integers(hotspots)
        c = rt_m.geometry.iloc[centres_idx[j]].representative_point()
        xy = rng.normal((c.x, c.y), sigma[j])
        if union.contains(shapely.Point(xy)):
            pts.append(xy)
    picks = rng.choice(len(rt), n - n_hot, p=weights / weights.sum())
    pts += [_points_in(rt_m.geometry.iloc[i], 1, rng)[0] for i in picks]
    xy = np.asarray(pts)
    lonlat = gpd.GeoSeries(shapely.points(xy), crs=epsg).to_crs(4326)
    return np.round(shapely.get_coordinates(lonlat.values), 6)


def _lifecycle(created: dt.datetime, median_days: float, rng) -> list[tuple]:
    """Status events ``(kind, from, to, at, note)`` for one complaint, up to TODAY."""
    events = []

    def after(start, hours):
        return (start + dt.timedelta(hours=hours)).replace(microsecond=0)

    response = after(created, float(rng.lognormal(np.log(6), 0.8)))
    verified = after(response, float(rng.lognormal(np.log(10), 0.7)))
    resolve_days = float(rng.lognormal(np.log(median_days), 0.7))
    resolved = _working_days_after(verified, resolve_days).replace(microsecond=0)
    outcome = rng.uniform()
    if response > TODAY:
        return events
    if outcome < 0.04:
        return [
            (
                "status",
                "diterima",
                "ditolak",
                response,
                "Laporan tidak dapat diverifikasi: lokasi dan uraian tidak jelas.",
            )
        ]
    if outcome < 0.07:
        return [
            (
                "status",
                "diterima",
                "bukan_wewenang",
                response,
                "Di luar kewenangan kelurahan; diteruskan ke dinas terkait.",
            )
        ]
    events.append(("status", "diterima", "verifikasi", response, "Laporan diterima petugas."))
    if verified > TODAY:
        return events
    events.append(("status", "verifikasi", "ditindaklanjuti", verified, "Petugas dijadwalkan ke lokasi."))
    if resolved > TODAY:
        return events
    events.append(
        ("status", "ditindaklanjuti", "selesai", resolved, "Sudah ditangani; foto sesudah terlampir.")
    )
    return events


def make_complaints(
    rt: gpd.GeoDataFrame,
    population: pd.DataFrame,
    rw: gpd.GeoDataFrame,
    categories: pd.DataFrame,
    n: int = 2400,
    seed: int = 2026,
):
    """A year of synthetic complaints and their status events.

    Returns
    -------
    complaints : GeoDataFrame
        One row per complaint (ticket, category, description, times, status, point).
    events : DataFrame
        The status trail: ticket, kind, status_from, status_to, note, created_at.
    """
    rng = np.random.default_rng(seed + 3)
    epsg = _metric(rt)
    rt = rt.merge(population[["unit_code", "persons"]], left_on="code", right_on="unit_code")
    rt = rt.merge(rw[["code", "flood_prone"]].rename(columns={"code": "rw_code"}), on="rw_code")
    sla = dict(zip(categories["code"], categories["sla_days"], strict=True))
    rows, events = [], []
    for category, (share, median, hotspots, templates) in _COMPLAINTS.items():
        count = int(round(n * share))
        times = _times(count, category, rng)
        xy = _locations(count, category, hotspots, rt, rw, epsg, rng)
        for created, (x, y) in zip(times, xy, strict=True):
            ticket = f"CP-{created:%y%m}-{len(rows) + 1:05d}"
            trail = _lifecycle(created, median, rng)
            status = trail[-1][2] if trail else "diterima"
            text = templates[rng.integers(len(templates))].format(
                place=_PLACES[rng.integers(len(_PLACES))], d=int(rng.integers(2, 8))
            )
            rows.append(
                {
                    "ticket": ticket,
                    "category": category,
                    "description": text,
                    "status": status,
                    "status_reason": trail[-1][4] if status in ("ditolak", "bukan_wewenang") else None,
                    "created_at": created.isoformat(),
                    "first_response_at": trail[0][3].isoformat() if trail else None,
                    "resolved_at": trail[-1][3].isoformat() if status == "selesai" else None,
                    "sla_due": _working_days_after(created, sla[category]).isoformat(),
                    "source": SYNTHETIC_SOURCE,
                    "synthetic": True,
                    "geometry": shapely.Point(x, y),
                }
            )
            events.append(
                {
                    "ticket": ticket,
                    "kind": "status",
                    "status_from": None,
                    "status_to": "diterima",
                    "note": "Laporan masuk.",
                    "created_at": created.isoformat(),
                }
            )
            events += [
                {
                    "ticket": ticket,
                    "kind": kind,
                    "status_from": src,
                    "status_to": dst,
                    "note": note,
                    "created_at": at.isoformat(),
                }
                for kind, src, dst, at, note in trail
            ]
    complaints = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    return complaints.sort_values("created_at").reset_index(drop=True), pd.DataFrame(events)
