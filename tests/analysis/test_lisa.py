"""Local Moran's I against esda's Moran_Local on Columbus."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
from esda.moran import Moran_Local
from libpysal import examples
from libpysal import weights as lw

from gis.analysis.lisa import local_moran
from gis.analysis.weights import queen


def test_local_moran_equals_esda():
    frame = gpd.read_file(examples.get_path("columbus.shp"))
    y = frame["CRIME"].to_numpy(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = lw.Queen.from_dataframe(frame, use_index=False)
        w.transform = "r"
        reference = Moran_Local(y, w, transformation="r", permutations=9999, seed=1)
    ours = local_moran(y, queen(frame.geometry.values), permutations=9999, seed=2)
    assert np.max(np.abs(ours.I - reference.Is)) < 1e-9
    assert np.array_equal(ours.quadrant, reference.q)
    assert np.max(np.abs(ours.p_sim - reference.p_sim)) < 0.03  # Monte Carlo noise at 9,999 draws
    again = local_moran(y, queen(frame.geometry.values), permutations=999, seed=5)
    assert np.array_equal(
        again.p_sim, local_moran(y, queen(frame.geometry.values), permutations=999, seed=5).p_sim
    )
    assert set(again.labels) <= {"HH", "LL", "HL", "LH", "ns"}
