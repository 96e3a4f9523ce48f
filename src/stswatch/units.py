"""Physical constants and unit conversions, in one place."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

METERS_PER_NM = 1852.0
KNOTS_TO_MPS = METERS_PER_NM / 3600.0
EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
SECONDS_PER_HOUR = 3600.0

FloatArray = npt.NDArray[np.float64]


def haversine_m(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> FloatArray:
    """Great-circle distance in metres, vectorized over NumPy arrays."""
    lon1r, lat1r, lon2r, lat2r = (
        np.radians(np.asarray(a, dtype=np.float64)) for a in (lon1, lat1, lon2, lat2)
    )
    dlat = lat2r - lat1r
    dlon = lon2r - lon1r
    a = np.sin(dlat / 2.0) ** 2 + np.cos(lat1r) * np.cos(lat2r) * np.sin(dlon / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
