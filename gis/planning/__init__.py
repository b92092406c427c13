"""Planning layers (issue 7): standards, population on grids, coverage, 2SFCA, deficits, siting.

Pure functions live in ``standards``, ``population`` and ``access``; ``jobs`` runs them on PostGIS
data and records each run like the complaint analyses.
"""

from gis.planning.access import (
    Distances,
    Pairs,
    StraightLine,
    accessibility,
    candidate_grid,
    coverage,
    deficit,
    greedy_max_cover,
    nearest_distance,
    pair_weights,
    two_step_fca,
    uncovered_area,
)
from gis.planning.population import density, read_population, to_grid
from gis.planning.standards import Standard, StandardsTable, load_table, standard_for

__all__ = [
    "Distances",
    "Pairs",
    "StraightLine",
    "Standard",
    "StandardsTable",
    "accessibility",
    "candidate_grid",
    "coverage",
    "deficit",
    "density",
    "greedy_max_cover",
    "load_table",
    "nearest_distance",
    "pair_weights",
    "read_population",
    "standard_for",
    "to_grid",
    "two_step_fca",
    "uncovered_area",
]
