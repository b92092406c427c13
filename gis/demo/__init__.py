"""The demo area: Kecamatan Cempaka Putih, Jakarta Pusat, from public data plus marked synthetic layers."""

from gis.demo.build import DEMO_FILES, build_demo_data
from gis.demo.extract import DEMO_KECAMATAN, extract_demo_area, normalise_rw_label, rw_code

__all__ = [
    "DEMO_FILES",
    "DEMO_KECAMATAN",
    "build_demo_data",
    "extract_demo_area",
    "normalise_rw_label",
    "rw_code",
]
