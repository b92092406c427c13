"""Complaints: privacy of locations (status machine, SLA clock and duplicates come later)."""

from gis.complaints.privacy import GRID_METRES, refresh_public_points

__all__ = ["GRID_METRES", "refresh_public_points"]
