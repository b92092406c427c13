"""The planners' layer catalogue: stored analysis runs and the base layers, their fields, and classes.

* :func:`list_layers` lists the analysis runs (hot spots, kernel density, emerging hot spots,
  coverage, accessibility, deficit, siting) with a one-line description per method, the inputs they
  were computed from, the analysed period, status and parameters; filters by method, category (a
  complaint category or a facility type), analysed period and status.
* :func:`base_layers` describes the base layers: population per RT (latest year, jiwa/ha), public
  facilities per category, RW boundaries; :func:`base_layer_frame` reads one as a GeoDataFrame.
* :func:`layer_fields` says which properties of a layer can colour a map, and :func:`classify` puts
  values into classes with mapclassify (quantiles, Fisher-Jenks natural breaks, equal interval).

Only runs whose outputs may be shown to anyone are listed or read here (public complaint categories;
the planning jobs use population and public facilities). Texts are Indonesian; ``_l`` only marks them
for the web layer's translation catalogue (``gis`` never imports flask).

Modules, each importing only those before it: :mod:`.labels` (method descriptions, field labels),
:mod:`.runs` (the run listing), :mod:`.base` (layer references, base layers), :mod:`.fields` (mappable
fields, palettes) and :mod:`.classes` (classification, cached classes).
"""

from gis.planning.catalogue.base import BASE_KEYS, base_layer_frame, base_layers, parse_ref
from gis.planning.catalogue.base import LayerRef as LayerRef
from gis.planning.catalogue.classes import FJ_MAX_POINTS as FJ_MAX_POINTS
from gis.planning.catalogue.classes import K_RANGE as K_RANGE
from gis.planning.catalogue.classes import SCHEMES, classes_for, classify
from gis.planning.catalogue.fields import PALETTES as PALETTES
from gis.planning.catalogue.fields import Field, field_values, layer_fields, palette
from gis.planning.catalogue.fields import palette_name as palette_name
from gis.planning.catalogue.labels import COMPLAINT_METHODS, FIELD_LABELS, METHODS, PLANNING_METHODS
from gis.planning.catalogue.labels import DEFAULT_FIELD as DEFAULT_FIELD
from gis.planning.catalogue.runs import list_layers, servable_run

# ``LayerRef``, ``K_RANGE``, ``PALETTES``, ``palette_name``, ``DEFAULT_FIELD`` and ``FJ_MAX_POINTS`` are
# used by callers too but, as before the split, stay out of ``__all__`` (the ``X as X`` re-exports).
__all__ = [
    "METHODS",
    "PLANNING_METHODS",
    "COMPLAINT_METHODS",
    "FIELD_LABELS",
    "SCHEMES",
    "BASE_KEYS",
    "Field",
    "list_layers",
    "servable_run",
    "base_layers",
    "base_layer_frame",
    "parse_ref",
    "layer_fields",
    "field_values",
    "classify",
    "classes_for",
    "palette",
]
