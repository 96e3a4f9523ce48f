"""Benchmark of the geography lookups: load time, then seconds per lookup on ocean points.

Run ``python -m stswatch.geo.bench 1000000 5000000``. Points are uniform on the globe with
those on land dropped, so most are far from any coast, the case a k-d tree finds hardest.
``bench(n, region=...)`` draws instead from a lon/lat box (e.g. the Yellow Sea), where almost
every point is near a coast and takes the exact k-d tree path.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from stswatch.geo.lookup import Geo, data_dir

T = TypeVar("T")
YELLOW_SEA = (119.0, 127.0, 32.0, 41.0)  # lon_min, lon_max, lat_min, lat_max


def ocean_points(
    geo: Geo, n: int, seed: int = 0, region: tuple[float, float, float, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random positions at sea, uniform on the sphere (within ``region`` if given)."""
    rng = np.random.default_rng(seed)
    lon_min, lon_max, lat_min, lat_max = region or (-180.0, 180.0, -90.0, 90.0)
    z_min, z_max = np.sin(np.radians(lat_min)), np.sin(np.radians(lat_max))
    lon_parts, lat_parts, have = [], [], 0
    while have < n:
        m = 2 * (n - have) + 1000
        lon = rng.uniform(lon_min, lon_max, m)
        lat = np.degrees(np.arcsin(rng.uniform(z_min, z_max, m)))
        sea = ~geo.on_land(lon, lat)
        lon_parts.append(lon[sea])
        lat_parts.append(lat[sea])
        have += int(sea.sum())
    return np.concatenate(lon_parts)[:n], np.concatenate(lat_parts)[:n]


def bench(
    n: int, seed: int = 0, region: tuple[float, float, float, float] | None = None
) -> dict[str, float]:
    """Wall and CPU seconds for loading and for each lookup over ``n`` ocean points.

    Uses a fresh ``Geo`` (not the cached ``default_geo()``) so that loading is measured;
    ``index_*`` is the one-off k-d tree build on first use. CPU seconds add up all threads.
    """
    times: dict[str, float] = {}
    geo = _timed(times, "load", lambda: Geo.from_dir(data_dir()))
    _timed(times, "index_shore", lambda: geo.shore_index)
    _timed(times, "index_port", lambda: geo.port_index)
    lon, lat = ocean_points(geo, n, seed, region)
    for name in ("on_land", "distance_to_shore_m", "distance_to_port_m", "nearest_port"):
        _timed(times, name, functools.partial(getattr(geo, name), lon, lat))
    return times


def _timed(times: dict[str, float], name: str, fn: Callable[[], T]) -> T:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    times[f"{name}_s"] = time.perf_counter() - wall
    times[f"{name}_cpu_s"] = time.process_time() - cpu
    return out


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [1_000_000]
    print("seconds wall/cpu (cpu adds up all threads)")
    for region_name, region in (("world ocean", None), ("Yellow Sea", YELLOW_SEA)):
        for n in sizes:
            result = bench(n, region=region)
            cells = "  ".join(
                f"{k[:-2]}={v:.2f}/{result[k[:-2] + '_cpu_s']:.2f}"
                for k, v in result.items()
                if not k.endswith("_cpu_s")
            )
            print(f"{region_name:<12} n={n:>9,}  {cells}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
