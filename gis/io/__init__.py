"""Data in and out: readers, field mapping, validation, bulk loading and export."""

from gis.io.export import EXPORT_LAYERS, FORMATS, export_layer, read_layer
from gis.io.importer import KINDS, LEVELS, ImportOptions, import_file
from gis.io.readers import open_source
from gis.io.report import ImportReport, Problem

__all__ = [
    "EXPORT_LAYERS",
    "FORMATS",
    "KINDS",
    "LEVELS",
    "ImportOptions",
    "ImportReport",
    "Problem",
    "export_layer",
    "import_file",
    "open_source",
    "read_layer",
]
