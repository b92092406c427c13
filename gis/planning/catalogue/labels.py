"""What the planners' catalogue says: a label and a one-line description per analysis method, a label
per mapped field, and the field each layer opens with.

Texts are Indonesian; ``_l`` only marks them for the web layer's translation catalogue (``gis`` never
imports flask), which also collects the ``_l`` texts of the other catalogue modules.
"""

from __future__ import annotations

__all__ = ["METHODS", "COMPLAINT_METHODS", "PLANNING_METHODS", "FIELD_LABELS", "DEFAULT_FIELD"]


def _l(text: str) -> str:
    """Mark an Indonesian text for the translation catalogue; the web layer translates it."""
    return text


# method -> (label, one-line description)
METHODS: dict[str, tuple[str, str]] = {
    "hotspots": (
        _l("Titik panas (Gi*)"),
        _l(
            "Kelompok sel atau RW dengan jumlah pengaduan tinggi (titik panas) atau rendah (titik dingin) "
            "yang signifikan secara statistik, metode Getis-Ord Gi*."
        ),
    ),
    "kde": (
        _l("Kepadatan kernel"),
        _l("Permukaan halus kepadatan pengaduan per km² (kernel kuartik)."),
    ),
    "emerging": (
        _l("Titik panas yang muncul"),
        _l("Tren titik panas dari waktu ke waktu per bulan atau minggu: baru, menguat, menetap, melemah."),
    ),
    "coverage": (
        _l("Jangkauan layanan"),
        _l("Porsi penduduk dalam radius pencapaian standar SNI dan jarak ke fasilitas terdekat."),
    ),
    "accessibility": (
        _l("Aksesibilitas (2SFCA)"),
        _l("Kapasitas fasilitas per penduduk yang dapat dijangkau; indeks A ≥ 1 berarti terlayani cukup."),
    ),
    "deficit": (
        _l("Kekurangan fasilitas"),
        _l("Kebutuhan fasilitas menurut standar SNI dibanding jumlah yang ada, per RW atau kelurahan."),
    ),
    "siting": (
        _l("Usulan lokasi baru"),
        _l("Titik usulan fasilitas baru yang menambah penduduk terjangkau paling banyak (maximal covering)."),
    ),
}
COMPLAINT_METHODS = ("hotspots", "kde", "emerging")
PLANNING_METHODS = ("coverage", "accessibility", "deficit", "siting")

FIELD_LABELS: dict[str, str] = {
    "count": _l("Jumlah pengaduan"),
    "gi_z": _l("Skor z Gi*"),
    "gi_p": _l("Nilai p Gi*"),
    "gi_bin": _l("Kelas titik panas (Gi*)"),
    "gi_p_sim": _l("Nilai p permutasi"),
    "n_neighbors": _l("Jumlah tetangga"),
    "rate_per_1000": _l("Pengaduan per 1.000 jiwa"),
    "lisa_i": _l("Moran lokal (I)"),
    "lisa_p_sim": _l("Nilai p Moran lokal"),
    "density_km2": _l("Kepadatan pengaduan per km²"),
    "trend_z": _l("Skor z tren"),
    "trend_p": _l("Nilai p tren"),
    "category": _l("Pola"),
    "persons": _l("Jumlah jiwa"),
    "households": _l("Jumlah KK"),
    "density_ha": _l("Kepadatan (jiwa/ha)"),
    "nearest_m": _l("Jarak ke fasilitas terdekat (m)"),
    "covered": _l("Dalam radius pencapaian"),
    "area_ha": _l("Luas (ha)"),
    "access": _l("Indeks aksesibilitas (A)"),
    "adequately_served": _l("Terlayani cukup (A ≥ 1)"),
    "population": _l("Jumlah jiwa"),
    "population_served": _l("Jiwa per unit (standar)"),
    "required": _l("Kebutuhan (unit)"),
    "existing": _l("Jumlah ada (unit)"),
    "gap": _l("Kekurangan (unit)"),
    "surplus": _l("Kelebihan (unit)"),
    "min_land_m2": _l("Lahan minimum per unit (m²)"),
    "land_needed_m2": _l("Lahan dibutuhkan (m²)"),
    "level_ok": _l("Tingkat unit sesuai standar"),
    "rank": _l("Urutan usulan"),
    "population_gained": _l("Tambahan jiwa terjangkau"),
    "cumulative_covered": _l("Jiwa terjangkau (kumulatif)"),
    "cumulative_share": _l("Porsi terjangkau (kumulatif)"),
    "facilities": _l("Jumlah fasilitas"),
}
# The field a layer opens with, by method or base layer.
DEFAULT_FIELD = {
    "hotspots": "gi_bin",
    "kde": "density_km2",
    "emerging": "category",
    "coverage": "nearest_m",
    "accessibility": "access",
    "deficit": "gap",
    "siting": "population_gained",
    "penduduk": "density_ha",
    "rw": "density_ha",
    "fasilitas": None,
}
