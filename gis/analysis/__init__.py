"""Analysis methods, one per module: weights, significance, hotspots (Gi*)."""

from gis.analysis.hotspots import GiStar, gi_star
from gis.analysis.significance import fdr_threshold, hotspot_bins, two_sided_p
from gis.analysis.weights import distance_band, include_self, knn, queen

__all__ = [
    "GiStar",
    "gi_star",
    "fdr_threshold",
    "hotspot_bins",
    "two_sided_p",
    "distance_band",
    "include_self",
    "knn",
    "queen",
]
