"""The sea-lane graph that keeps simulated ships at sea, and the sea areas where events happen.

Nodes are open-water waypoints; an edge is a straight leg (in longitude/latitude) that stays
clear of land. Routes are shortest paths over the graph (edge length in metres), entered and
left through each port's approach (``ports``). *Zones* are convex sea areas where injected
events are placed; each carries the smallest distance from its points to land, measured at
development time on the NOAA GLOBE 30-arc-second land mask and on the Natural Earth 1:10m
land with minor islands (both have the small islands), so ``min_shore_m`` is a safe lower
bound for any point inside. The tests check all legs, approaches and zones against
the Natural Earth 1:50m land polygons.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from stswatch.simulate.ports import PORTS, LonLat, Port
from stswatch.units import haversine_m

# fmt: off
NODES: dict[str, LonLat] = {
    # Bohai
    "BH_TIANJIN": (118.10, 38.95), "BH_JINGTANG": (119.10, 39.05), "BH_CENTRAL": (119.60, 38.60),
    "BH_LONGKOU": (120.20, 37.85), "BH_EAST": (120.60, 38.40), "BOHAI_STRAIT": (121.00, 38.55),
    # North Yellow Sea and Korea Bay
    "NYS_YANTAI": (121.50, 37.75), "NYS_DALIAN": (121.90, 38.75), "NYS_WEST": (121.70, 38.20),
    "NYS_CENTRAL": (122.70, 38.20), "NYS_EAST": (124.00, 37.80), "WEIHAI_OFF": (122.30, 37.65),
    "KB_DANDONG": (124.00, 39.55), "KB_CENTRAL": (123.80, 38.70), "KB_NAMPO": (124.90, 38.60),
    "SHANDONG_CAPE": (123.00, 37.30),
    # Yellow Sea
    "YS_NORTH": (123.50, 36.80), "YS_CENTRAL": (123.50, 35.50), "YS_SOUTH": (123.80, 34.00),
    "YS_WEST": (121.80, 35.20), "SHIDAO_OFF": (122.90, 36.60), "QINGDAO_OFF": (120.80, 35.85),
    "RIZHAO_OFF": (119.90, 35.20), "LYG_OFF": (120.10, 34.80), "JIANGSU_OFF": (122.20, 33.50),
    "KR_WEST": (125.40, 36.70), "INCHEON_OFF": (126.10, 37.15), "DAESAN_OFF": (126.20, 36.95),
    "KUNSAN_OFF": (126.20, 35.90), "KR_MID": (125.50, 35.90), "KR_SW": (125.50, 35.00),
    "MOKPO_OFF": (125.90, 34.70),
    # Korea Strait
    "JINDO_OFF": (125.80, 34.00), "JEJU_STRAIT": (126.60, 33.80), "JEJU_WEST": (125.70, 33.30),
    "JEJU_SOUTH": (126.50, 32.90), "JEJU_EAST": (127.30, 33.40), "KOREA_STRAIT_W": (127.80, 34.30),
    "GEOJE_OFF": (128.50, 34.50), "BUSAN_OFF": (129.00, 34.95),
    # East China Sea and Taiwan Strait
    "YANGTZE_MOUTH": (122.30, 31.20), "SHENGSI_OFF": (122.63, 30.64), "ECS_NORTH": (123.20, 31.50),
    "ECS_CENTRAL": (124.60, 30.40), "ZHOUSHAN_OFF": (122.60, 30.05), "ECS_WEST": (123.50, 29.00),
    "ECS_SOUTH": (123.00, 27.50), "ECS_EAST": (125.50, 29.00), "TW_NORTH": (122.00, 25.80),
    "KEELUNG_OFF": (121.85, 25.35), "TW_STRAIT_N": (120.50, 25.00), "TAICHUNG_OFF": (120.25, 24.30),
    "TW_STRAIT_S": (119.90, 23.30), "KAOHSIUNG_OFF": (120.05, 22.50),
}

EDGES: tuple[tuple[str, str], ...] = (
    ("BH_TIANJIN", "BH_CENTRAL"), ("BH_JINGTANG", "BH_CENTRAL"), ("BH_CENTRAL", "BH_EAST"),
    ("BH_LONGKOU", "BH_EAST"), ("BH_EAST", "BOHAI_STRAIT"), ("BOHAI_STRAIT", "NYS_WEST"),
    ("BOHAI_STRAIT", "NYS_DALIAN"), ("NYS_YANTAI", "NYS_WEST"), ("NYS_DALIAN", "NYS_CENTRAL"),
    ("NYS_WEST", "NYS_CENTRAL"), ("NYS_WEST", "WEIHAI_OFF"), ("WEIHAI_OFF", "NYS_CENTRAL"),
    ("WEIHAI_OFF", "SHANDONG_CAPE"), ("NYS_CENTRAL", "SHANDONG_CAPE"),
    ("NYS_CENTRAL", "KB_CENTRAL"), ("KB_CENTRAL", "KB_DANDONG"), ("KB_CENTRAL", "KB_NAMPO"),
    ("KB_CENTRAL", "NYS_EAST"),
    ("NYS_CENTRAL", "NYS_EAST"), ("NYS_EAST", "YS_NORTH"), ("NYS_EAST", "KR_WEST"),
    ("SHANDONG_CAPE", "YS_NORTH"), ("SHANDONG_CAPE", "YS_WEST"), ("YS_NORTH", "YS_CENTRAL"),
    ("YS_NORTH", "KR_WEST"), ("YS_CENTRAL", "YS_SOUTH"), ("YS_CENTRAL", "YS_WEST"),
    ("YS_CENTRAL", "KR_SW"), ("YS_CENTRAL", "KR_WEST"), ("QINGDAO_OFF", "YS_WEST"),
    ("QINGDAO_OFF", "SHIDAO_OFF"), ("SHIDAO_OFF", "SHANDONG_CAPE"), ("SHIDAO_OFF", "YS_NORTH"),
    ("QINGDAO_OFF", "RIZHAO_OFF"), ("RIZHAO_OFF", "LYG_OFF"), ("LYG_OFF", "YS_WEST"),
    ("YS_WEST", "JIANGSU_OFF"), ("JIANGSU_OFF", "YS_SOUTH"), ("JIANGSU_OFF", "YANGTZE_MOUTH"),
    ("JIANGSU_OFF", "ECS_NORTH"), ("INCHEON_OFF", "KR_WEST"), ("DAESAN_OFF", "KR_WEST"),
    ("INCHEON_OFF", "DAESAN_OFF"), ("KUNSAN_OFF", "KR_MID"), ("KR_MID", "KR_WEST"),
    ("KR_MID", "KR_SW"), ("KR_MID", "YS_CENTRAL"), ("KR_SW", "MOKPO_OFF"), ("KR_SW", "JEJU_WEST"),
    ("KR_SW", "YS_SOUTH"), ("MOKPO_OFF", "JINDO_OFF"), ("JINDO_OFF", "JEJU_STRAIT"),
    ("JINDO_OFF", "JEJU_WEST"), ("JEJU_STRAIT", "KOREA_STRAIT_W"), ("KOREA_STRAIT_W", "GEOJE_OFF"),
    ("GEOJE_OFF", "BUSAN_OFF"), ("JEJU_WEST", "JEJU_SOUTH"), ("JEJU_SOUTH", "JEJU_EAST"),
    ("JEJU_EAST", "KOREA_STRAIT_W"), ("YS_SOUTH", "JEJU_WEST"), ("YS_SOUTH", "ECS_NORTH"),
    ("ECS_NORTH", "YANGTZE_MOUTH"), ("ECS_NORTH", "ECS_CENTRAL"), ("ECS_NORTH", "JEJU_WEST"),
    ("ECS_CENTRAL", "JEJU_SOUTH"), ("ECS_CENTRAL", "ZHOUSHAN_OFF"), ("ECS_CENTRAL", "ECS_EAST"),
    ("ECS_CENTRAL", "ECS_WEST"), ("YANGTZE_MOUTH", "SHENGSI_OFF"), ("SHENGSI_OFF", "ZHOUSHAN_OFF"),
    ("ZHOUSHAN_OFF", "ECS_WEST"), ("ECS_WEST", "ECS_SOUTH"), ("ECS_EAST", "ECS_SOUTH"),
    ("ECS_EAST", "JEJU_SOUTH"), ("ECS_SOUTH", "TW_NORTH"), ("TW_NORTH", "KEELUNG_OFF"),
    ("TW_NORTH", "TW_STRAIT_N"), ("TW_STRAIT_N", "TAICHUNG_OFF"), ("TAICHUNG_OFF", "TW_STRAIT_S"),
    ("TW_STRAIT_S", "KAOHSIUNG_OFF"),
)
# fmt: on


@dataclass(frozen=True)
class Zone:
    """A convex sea area (vertices counter-clockwise) and what may be injected in it."""

    key: str
    vertices: tuple[LonLat, ...]
    nodes: tuple[str, ...]  # lane nodes inside: routes enter and leave the zone through them
    min_shore_m: float  # least distance to land: GLOBE mask and Natural Earth 10m, with islets
    uses: frozenset[str]
    note: str = ""

    def contains(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """True for points inside the polygon (on the left of every edge)."""
        x = np.asarray(lon, dtype=np.float64)
        y = np.asarray(lat, dtype=np.float64)
        inside = np.ones(np.broadcast(x, y).shape, dtype=bool)
        v = self.vertices
        for (x0, y0), (x1, y1) in zip(v, v[1:] + v[:1], strict=True):
            inside &= (x1 - x0) * (y - y0) - (y1 - y0) * (x - x0) >= 0.0
        return inside

    def random_point(self, rng: np.random.Generator) -> LonLat:
        xs = [p[0] for p in self.vertices]
        ys = [p[1] for p in self.vertices]
        while True:
            lon = float(rng.uniform(min(xs), max(xs)))
            lat = float(rng.uniform(min(ys), max(ys)))
            if self.contains(lon, lat):
                return lon, lat


NM60_M = 60 * 1852.0
ZONES: dict[str, Zone] = {
    z.key: z
    for z in [
        Zone(
            "ECS_STS",
            ((122.9, 28.0), (124.0, 28.0), (124.3, 29.8), (123.4, 29.8)),
            ("ECS_WEST",),
            62_000.0,
            frozenset({"encounter", "loitering", "meeting"}),
            "250-450 km SSE of Shanghai, where Japan reported DPRK STS transfers in 2018-2019",
        ),
        Zone(
            "ECS_OPEN",
            ((123.8, 28.5), (126.5, 28.5), (126.5, 31.0), (124.4, 31.0), (124.3, 30.0)),
            ("ECS_CENTRAL", "ECS_EAST"),
            130_000.0,
            frozenset({"encounter", "loitering", "gap", "meeting"}),
            "open East China Sea, more than 60 nm from any land",
        ),
        Zone(
            "YS_OPEN",
            (
                (122.0, 34.0),
                (123.4, 34.0),
                (123.9, 35.3),
                (124.0, 35.9),
                (123.5, 36.1),
                (122.6, 35.6),
                (122.0, 34.8),
            ),  # fmt: skip
            ("YS_CENTRAL",),
            122_000.0,
            frozenset({"encounter", "loitering", "gap", "meeting"}),
            "central Yellow Sea, more than 60 nm from any land",
        ),
        Zone(
            "KOREA_BAY",
            ((123.5, 38.3), (124.2, 38.3), (124.2, 38.9), (123.8, 39.05), (123.5, 38.7)),
            ("KB_CENTRAL",),
            43_000.0,
            frozenset({"encounter", "meeting"}),
            "Korea Bay, on the way to and from Nampo",
        ),
    ]
}

# Fishing grounds: convex boxes around a lane node, so legs from the node stay inside.
FISHING_GROUNDS: dict[str, Zone] = {
    z.key: z
    for z in [
        Zone(
            "ZHOUSHAN_GROUNDS",
            ((122.58, 29.45), (123.2, 29.45), (123.2, 30.07), (122.58, 30.07)),
            ("ZHOUSHAN_OFF",),
            6_000.0,
            frozenset({"fishing"}),
        ),
        Zone(
            "SHIDAO_GROUNDS",
            ((122.75, 36.25), (123.3, 36.25), (123.3, 36.75), (122.75, 36.75)),
            ("SHIDAO_OFF",),
            10_000.0,
            frozenset({"fishing"}),
        ),
        Zone(
            "NYS_GROUNDS",
            ((122.4, 37.95), (123.0, 37.95), (123.0, 38.4), (122.4, 38.4)),
            ("NYS_CENTRAL",),
            10_000.0,
            frozenset({"fishing"}),
        ),
        Zone(
            "KR_SW_GROUNDS",
            ((125.2, 34.8), (125.7, 34.8), (125.7, 35.3), (125.2, 35.3)),
            ("KR_SW",),
            6_000.0,
            frozenset({"fishing"}),
        ),
    ]
}
FISHING_HOME = {
    "ZHOUSHAN": "ZHOUSHAN_GROUNDS",
    "WEIHAI": "SHIDAO_GROUNDS",
    "DALIAN": "NYS_GROUNDS",
    "MOKPO": "KR_SW_GROUNDS",
}

# Nodes far enough from land that routes may pass them up to SPREAD_M off, like real traffic.
SPREAD_M = 1_500.0
TIGHT_NODES = frozenset(
    {"BH_TIANJIN", "BH_JINGTANG", "BH_LONGKOU", "NYS_YANTAI", "NYS_DALIAN", "WEIHAI_OFF",
     "KB_DANDONG", "KB_NAMPO", "QINGDAO_OFF", "RIZHAO_OFF", "LYG_OFF", "INCHEON_OFF",
     "DAESAN_OFF", "KUNSAN_OFF", "MOKPO_OFF", "JINDO_OFF", "GEOJE_OFF", "BUSAN_OFF",
     "YANGTZE_MOUTH", "SHENGSI_OFF", "ZHOUSHAN_OFF", "KEELUNG_OFF", "TAICHUNG_OFF",
     "KAOHSIUNG_OFF", "TW_STRAIT_N", "TW_STRAIT_S", "KOREA_STRAIT_W", "JEJU_STRAIT",
     "SHIDAO_OFF", "KR_WEST", "KR_SW"}
)  # fmt: skip


def polyline_length_m(points: list[LonLat] | tuple[LonLat, ...]) -> float:
    """Length of a polyline along great circles, metres."""
    if len(points) < 2:
        return 0.0
    a = np.asarray(points, dtype=np.float64)
    return float(haversine_m(a[:-1, 0], a[:-1, 1], a[1:, 0], a[1:, 1]).sum())


class LaneGraph:
    """All-pairs shortest paths over ``NODES``/``EDGES`` (a few dozen nodes)."""

    def __init__(self) -> None:
        self.names = list(NODES)
        self.index = {n: i for i, n in enumerate(self.names)}
        a = np.array([self.index[u] for u, _ in EDGES])
        b = np.array([self.index[v] for _, v in EDGES])
        xy = np.array([NODES[n] for n in self.names])
        w = haversine_m(xy[a, 0], xy[a, 1], xy[b, 0], xy[b, 1])
        n = len(self.names)
        g = coo_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n, n)).tocsr()
        self.dist_m, self.pred = dijkstra(g, directed=False, return_predecessors=True)

    def node_path(self, u: str, v: str) -> list[str]:
        i, j = self.index[u], self.index[v]
        out = [j]
        while out[-1] != i:
            out.append(int(self.pred[i, out[-1]]))
        return [self.names[k] for k in reversed(out)]

    def distance_m(self, u: str, v: str) -> float:
        return float(self.dist_m[self.index[u], self.index[v]])


@cache
def graph() -> LaneGraph:
    return LaneGraph()


def _spread(names: list[str], rng: np.random.Generator | None) -> list[LonLat]:
    """Node positions, each open-water node moved up to SPREAD_M at random (lane width)."""
    pts: list[LonLat] = []
    for n in names:
        lon, lat = NODES[n]
        if rng is not None and n not in TIGHT_NODES:
            dx, dy = rng.uniform(-SPREAD_M, SPREAD_M, 2)
            lon += float(dx) / (111_320.0 * np.cos(np.radians(lat)))
            lat += float(dy) / 110_574.0
        pts.append((lon, lat))
    return pts


def _dedupe(points: list[LonLat]) -> list[LonLat]:
    out = [points[0]]
    for p in points[1:]:
        if abs(p[0] - out[-1][0]) > 1e-9 or abs(p[1] - out[-1][1]) > 1e-9:
            out.append(p)
    return out


def route(a: Port, b: Port, rng: np.random.Generator | None = None) -> list[LonLat]:
    """Berth of ``a`` to berth of ``b``: out by a's approach, over the lanes, in by b's."""
    nodes = graph().node_path(a.node, b.node)
    middle = _spread(nodes[1:-1], rng)
    return _dedupe(list(a.approach) + middle + list(reversed(b.approach)))


@cache
def approach_length_m(port: str) -> float:
    return polyline_length_m(PORTS[port].approach)


def route_length_m(a: Port, b: Port) -> float:
    """Length of ``route(a, b)`` without lane spread, metres."""
    return approach_length_m(a.key) + graph().distance_m(a.node, b.node) + approach_length_m(b.key)


def _best_node(port: Port, nodes: tuple[str, ...], point: LonLat) -> str:
    g = graph()

    def cost(n: str) -> float:
        x, y = NODES[n]
        return g.distance_m(port.node, n) + float(haversine_m(x, y, point[0], point[1]))

    return min(nodes, key=cost)


def route_to_point(
    a: Port, via: tuple[str, ...], point: LonLat, rng: np.random.Generator | None = None
) -> list[LonLat]:
    """Berth of ``a`` over the lanes to the best of the nodes ``via``, then straight to ``point``.

    Safe when ``point`` lies in a convex zone that contains the via node, or is the node.
    """
    n = _best_node(a, via, point)
    nodes = graph().node_path(a.node, n)
    if len(nodes) > 1 and float(haversine_m(*NODES[n], *point)) < 2_000.0:
        nodes = nodes[:-1]  # the point stands in for its node (a crossing just off the node)
    middle = _spread(nodes[1:], rng)
    return _dedupe(list(a.approach) + middle + [point])


def route_from_point(
    point: LonLat, via: tuple[str, ...], b: Port, rng: np.random.Generator | None = None
) -> list[LonLat]:
    """The reverse of ``route_to_point``: from ``point`` through a via node to b's berth."""
    return list(reversed(route_to_point(b, via, point, rng)))
