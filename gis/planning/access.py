"""Access to facilities: distances, coverage, 2SFCA accessibility, deficits and greedy siting.

All coordinates are metres in the local UTM zone (n × 2 arrays). Distances come from a provider
that follows the :class:`Distances` protocol: :class:`StraightLine` (cKDTree, default) now; a road
network provider (shortest paths cut off at the radius, a service-area polygon for the uncovered
layer) can be dropped in later without touching the methods here.

Everything is vectorised on sparse origin–destination pairs (only pairs within the radius), so
tens of thousands of cells × thousands of facilities stay fast and bounded in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from gis.errors import DataError

__all__ = [
    "Pairs",
    "Distances",
    "StraightLine",
    "E2SFCA_WEIGHTS",
    "catchment_weights",
    "gaussian_weights",
    "step_weights",
    "e2sfca_steps",
    "pair_weights",
    "TwoStepFCA",
    "two_step_fca",
    "accessibility",
    "Coverage",
    "nearest_distance",
    "coverage",
    "uncovered_area",
    "deficit",
    "Siting",
    "candidate_grid",
    "greedy_max_cover",
]

VARIANTS = ("catchment", "gaussian", "step")
E2SFCA_WEIGHTS = (1.0, 0.68, 0.22)  # Luo & Qi (2009): three equal zones of the catchment


@dataclass(frozen=True)
class Pairs:
    """Sparse origin–destination distances: origin ``i``, destination ``j``, metres ``d``."""

    i: np.ndarray
    j: np.ndarray
    d: np.ndarray
    shape: tuple[int, int]

    def __len__(self) -> int:
        return len(self.d)


@runtime_checkable
class Distances(Protocol):
    """Where a distance provider plugs in (straight line now, road network later)."""

    name: str

    def pairs_within(self, origins: np.ndarray, destinations: np.ndarray, max_m: float) -> Pairs:
        """Every (origin, destination) pair no farther apart than ``max_m``."""
        ...

    def nearest(self, origins: np.ndarray, destinations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance to, and index of, the nearest destination (``inf`` and -1 when there is none)."""
        ...

    def service_area(self, destinations: np.ndarray, max_m: float):
        """The area within ``max_m`` of any destination, as one (multi)polygon."""
        ...


class StraightLine:
    """Euclidean distances in the metric CRS, with scipy's cKDTree."""

    name = "straight_line"

    def pairs_within(self, origins, destinations, max_m) -> Pairs:
        origins, destinations = _xy(origins), _xy(destinations)
        shape = (len(origins), len(destinations))
        if not len(origins) or not len(destinations):
            empty = np.zeros(0, np.int64)
            return Pairs(empty, empty, np.zeros(0), shape)
        rec = cKDTree(origins).sparse_distance_matrix(cKDTree(destinations), max_m, output_type="ndarray")
        keep = rec["v"] <= max_m
        return Pairs(rec["i"][keep], rec["j"][keep], rec["v"][keep], shape)

    def nearest(self, origins, destinations):
        origins, destinations = _xy(origins), _xy(destinations)
        if not len(destinations):
            return np.full(len(origins), np.inf), np.full(len(origins), -1)
        d, idx = cKDTree(destinations).query(origins, k=1)
        return np.asarray(d, float), np.asarray(idx, np.int64)

    def service_area(self, destinations, max_m):
        destinations = _xy(destinations)
        if not len(destinations):
            return shapely.Polygon()
        return shapely.union_all(shapely.buffer(shapely.points(destinations), max_m, quad_segs=16))


def _xy(a) -> np.ndarray:
    a = np.asarray(a, float).reshape(-1, 2)
    if not np.isfinite(a).all():
        raise DataError("Some coordinates are missing or not finite.")
    return a


def _provider(distances: Distances | None) -> Distances:
    return distances if distances is not None else StraightLine()


# --- distance decay ------------------------------------------------------------------------------


def catchment_weights(d, radius) -> np.ndarray:
    """1 within the catchment radius, 0 beyond (Luo & Wang 2003)."""
    return np.where(np.asarray(d) <= radius, 1.0, 0.0)


def gaussian_weights(d, radius, sigma=None) -> np.ndarray:
    """Gaussian decay inside the catchment, 0 beyond.

    Without ``sigma``: Dai's (2010) form, 1 at the facility and 0 at the radius,
    ``(exp(-½(d/d0)²) - exp(-½)) / (1 - exp(-½))``. With ``sigma``: ``exp(-d² / 2σ²)`` cut at the
    radius (PySAL access's ``weights.gaussian``).
    """
    d = np.asarray(d, float)
    if sigma is None:
        e = np.exp(-0.5)
        w = (np.exp(-0.5 * (d / radius) ** 2) - e) / (1 - e)
    else:
        w = np.exp(-(d * d) / (2.0 * sigma * sigma))
    return np.where(d <= radius, w, 0.0)


def step_weights(d, steps) -> np.ndarray:
    """Stepped decay (E2SFCA): ``steps`` is ((upper_m, weight), ...); the first upper ≥ d applies."""
    d = np.asarray(d, float)
    out = np.zeros(d.shape)
    done = np.zeros(d.shape, bool)
    for upper, weight in sorted(steps):
        hit = ~done & (d <= upper)
        out[hit] = weight
        done |= hit
    return out


def e2sfca_steps(radius: float, weights=E2SFCA_WEIGHTS) -> tuple[tuple[float, float], ...]:
    """Equal zones of the radius with Luo & Qi's weights: (r/3, 1.0), (2r/3, 0.68), (r, 0.22)."""
    n = len(weights)
    return tuple((radius * (k + 1) / n, w) for k, w in enumerate(weights))


def pair_weights(d, radius, variant: str = "catchment", sigma=None, steps=None) -> np.ndarray:
    """Weights for distances ``d`` (``radius`` may be one value or one per pair)."""
    if variant == "catchment":
        return catchment_weights(d, radius)
    if variant == "gaussian":
        return gaussian_weights(d, radius, sigma)
    if variant == "step":
        if steps is None:
            r = np.broadcast_to(np.asarray(radius, float), np.shape(d))
            fractions = step_weights(np.asarray(d) / np.where(r > 0, r, 1), e2sfca_steps(1.0))
            return np.where(np.asarray(d) <= r, fractions, 0.0)
        return step_weights(d, steps)
    raise DataError(f"Unknown accessibility variant {variant!r}; use one of {', '.join(VARIANTS)}.")


# --- 2SFCA ---------------------------------------------------------------------------------------


@dataclass
class TwoStepFCA:
    """2SFCA result: ``access`` A_i per demand location, ``ratio`` R_j per facility."""

    access: np.ndarray
    ratio: np.ndarray
    demand_in_reach: np.ndarray  # Σ_i w_ij P_i per facility
    supply: np.ndarray
    unreached: np.ndarray  # facilities with no weighted demand in reach (their supply is lost)

    @property
    def supply_reaching(self) -> float:
        return float(self.supply[~self.unreached].sum())


def two_step_fca(demand, supply, pairs: Pairs, weights: np.ndarray) -> TwoStepFCA:
    """Two-step floating catchment area (Luo & Wang 2003; weighted: Luo & Qi 2009, Dai 2010).

    ``R_j = S_j / Σ_i w_ij P_i`` and ``A_i = Σ_j w_ij R_j``; ``pairs`` has demand as origins ``i``
    and facilities as destinations ``j``. Supply is conserved: ``Σ_i A_i P_i = Σ_j S_j`` over the
    facilities that have demand in reach (a facility with none gets ``R_j = 0``).
    """
    demand = np.asarray(demand, float)
    supply = np.asarray(supply, float)
    n, m = pairs.shape
    if demand.shape != (n,) or supply.shape != (m,):
        raise DataError("Demand, supply and the distance pairs do not match in size.")
    w = np.asarray(weights, float)
    reach = np.bincount(pairs.j, w * demand[pairs.i], minlength=m)
    unreached = reach <= 0
    ratio = np.divide(supply, reach, out=np.zeros(m), where=~unreached)
    access = np.bincount(pairs.i, w * ratio[pairs.j], minlength=n)
    return TwoStepFCA(access, ratio, reach, supply, unreached)


def accessibility(
    demand_xy,
    demand,
    facility_xy,
    supply,
    radius,
    variant: str = "catchment",
    *,
    sigma=None,
    steps=None,
    distances: Distances | None = None,
) -> TwoStepFCA:
    """2SFCA from coordinates; ``radius`` is one catchment or one per facility (metres)."""
    radius = np.asarray(radius, float)
    reach = float(radius.max()) if radius.size else 0.0
    pairs = _provider(distances).pairs_within(demand_xy, facility_xy, reach)
    r = radius[pairs.j] if radius.ndim else radius
    return two_step_fca(demand, supply, pairs, pair_weights(pairs.d, r, variant, sigma, steps))


# --- coverage ------------------------------------------------------------------------------------


@dataclass
class Coverage:
    nearest_m: np.ndarray
    nearest_facility: np.ndarray
    covered: np.ndarray
    population: float
    covered_population: float

    @property
    def share(self) -> float:
        return self.covered_population / self.population if self.population > 0 else float("nan")


def nearest_distance(demand_xy, facility_xy, distances: Distances | None = None):
    """Distance (m) from each demand location to the nearest facility, and that facility's index."""
    return _provider(distances).nearest(demand_xy, facility_xy)


def coverage(demand_xy, demand, facility_xy, radius: float, distances: Distances | None = None) -> Coverage:
    """Which demand locations have a facility within ``radius``, and the share of people covered."""
    demand = np.asarray(demand, float)
    d, idx = nearest_distance(demand_xy, facility_xy, distances)
    covered = d <= radius
    return Coverage(d, idx, covered, float(demand.sum()), float(demand[covered].sum()))


def uncovered_area(area, facility_xy, radius: float, distances: Distances | None = None) -> list:
    """The parts of ``area`` (a metric polygon) farther than ``radius`` from every facility."""
    rest = shapely.difference(area, _provider(distances).service_area(facility_xy, radius))
    parts = shapely.get_parts(rest)
    return [p for p in parts if p.area > 1.0]  # slivers under 1 m² are numerical noise


# --- deficit -------------------------------------------------------------------------------------


def deficit(population, existing, population_served, min_land_m2=None) -> pd.DataFrame:
    """Required units ``ceil(population / population served)`` against the existing count.

    All arguments are aligned arrays (or scalars for the standard's numbers). ``gap`` is the
    shortfall (never negative), ``surplus`` the excess, ``land_needed_m2 = gap × min_land_m2``.
    """
    population = np.asarray(population, float)
    served = np.broadcast_to(np.asarray(population_served, float), population.shape)
    if (served <= 0).any():
        raise DataError("The population served by one facility must be positive.")
    existing = np.broadcast_to(np.asarray(existing, np.int64), population.shape)
    if np.array_equal(population, np.round(population)):  # exact integer ceiling
        required = -(-population.astype(np.int64) // served.astype(np.int64))
    else:
        required = np.ceil(population / served).astype(np.int64)
    required = np.where(population > 0, required, 0)
    gap = np.maximum(required - existing, 0)
    land = np.broadcast_to(np.asarray(np.nan if min_land_m2 is None else min_land_m2, float), gap.shape)
    return pd.DataFrame(
        {
            "population": population,
            "population_served": served,
            "required": required,
            "existing": existing,
            "gap": gap,
            "surplus": np.maximum(existing - required, 0),
            "min_land_m2": land,
            "land_needed_m2": gap * land,
        }
    )


# --- siting --------------------------------------------------------------------------------------


@dataclass
class Siting:
    """Greedy maximal covering picks, in order, with the population each one adds."""

    picks: pd.DataFrame  # rank, candidate, x, y, population_gained, cumulative_covered, cumulative_share
    population: float
    covered_before: float


def candidate_grid(area, spacing: float) -> np.ndarray:
    """Candidate sites: the centres of a ``spacing`` grid that fall inside ``area`` (metric)."""
    x0, y0, x1, y1 = area.bounds
    xs = np.arange(np.floor(x0 / spacing) * spacing + spacing / 2, x1, spacing)
    ys = np.arange(np.floor(y0 / spacing) * spacing + spacing / 2, y1, spacing)
    gx, gy = np.meshgrid(xs, ys)
    xy = np.column_stack([gx.ravel(), gy.ravel()])
    shapely.prepare(area)
    return xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])]


def greedy_max_cover(
    demand_xy,
    demand,
    candidate_xy,
    radius: float,
    k: int,
    existing_xy=None,
    distances: Distances | None = None,
) -> Siting:
    """Place ``k`` facilities, one at a time, each where it covers the most people not yet covered.

    People within ``radius`` of an existing facility count as covered from the start. The gains are
    non-increasing (coverage is submodular). Stops early when no candidate adds anyone.
    """
    provider = _provider(distances)
    demand = np.asarray(demand, float)
    candidate_xy = _xy(candidate_xy)
    alive = demand.copy()
    if existing_xy is not None and len(_xy(existing_xy)):
        d, _ = provider.nearest(demand_xy, existing_xy)
        alive[d <= radius] = 0.0
    covered_before = float(demand.sum() - alive.sum())
    pairs = provider.pairs_within(candidate_xy, demand_xy, radius)
    keep = alive[pairs.j] > 0
    cover = sparse.csr_matrix((np.ones(int(keep.sum())), (pairs.i[keep], pairs.j[keep])), shape=pairs.shape)
    by_demand = cover.tocsc()
    gains = cover @ alive
    rows, total = [], float(demand.sum())
    covered = covered_before
    for rank in range(1, int(k) + 1):
        c = int(np.argmax(gains)) if len(gains) else -1
        if c < 0 or gains[c] <= 0:
            break
        newly = cover.indices[cover.indptr[c] : cover.indptr[c + 1]]
        newly = newly[alive[newly] > 0]
        gained = float(alive[newly].sum())
        gains -= by_demand[:, newly] @ alive[newly]
        alive[newly] = 0.0
        covered += gained
        rows.append((rank, c, *candidate_xy[c], gained, covered, covered / total if total else np.nan))
    columns = ["rank", "candidate", "x", "y", "population_gained", "cumulative_covered", "cumulative_share"]
    picks = pd.DataFrame(rows, columns=columns)
    return Siting(picks, total, covered_before)
