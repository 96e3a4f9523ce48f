"""Real ports of the Yellow Sea, Korea Bay and East China Sea, and the receivers that hear them.

Port coordinates (``wpi_lon``/``wpi_lat``) are copied from ``WPI_ports.csv`` of Global Fishing
Watch's pipe-anchorages (https://github.com/GlobalFishingWatch/pipe-anchorages, Apache-2.0,
commit e1db7c87), itself a subset of the NGA World Port Index (US government work, public
domain); ``wpi_label`` is the row's label there. A WPI point can lie inland (Shanghai and
Ningbo are river ports), so each port also has a *berth*: a point at sea near it where the
simulation moors or anchors ships, and an *approach*: waypoints from the berth out to a node
of the sea-lane graph (``lanes``). Berths and approaches were found at development time by a
shortest path over the NOAA GLOBE 30-arc-second land mask (public domain, as shipped in the
MIT-licensed ``global-land-mask`` package) keeping off land cells, and are checked against
the Natural Earth 1:50m land polygons by the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from stswatch.units import haversine_m

LonLat = tuple[float, float]


@dataclass(frozen=True)
class Port:
    """A port: its World Port Index point, where ships wait, and the way out to sea."""

    key: str
    wpi_label: str
    iso3: str
    wpi_lon: float
    wpi_lat: float
    approach: tuple[LonLat, ...]  # berth first, then waypoints; ends at the lane node ``node``
    node: str

    @property
    def berth(self) -> LonLat:
        return self.approach[0]

    @property
    def berth_to_wpi_m(self) -> float:
        lon, lat = self.berth
        return float(haversine_m(lon, lat, self.wpi_lon, self.wpi_lat))


def _port(
    key: str, label: str, iso3: str, lat: float, lon: float, node: str, *approach: LonLat
) -> Port:
    return Port(key, label, iso3, lon, lat, tuple(approach), node)


# fmt: off
PORTS: dict[str, Port] = {p.key: p for p in [
    #     key           WPI label              iso3   WPI lat    WPI lon     lane node
    _port("SHANGHAI", "SHANGHAI", "CHN", 31.216667, 121.5, "YANGTZE_MOUTH",
          (121.633, 31.358), (122.033, 31.2), (122.3, 31.2)),
    _port("NINGBO", "NINGBO", "CHN", 29.883333, 121.55, "ZHOUSHAN_OFF",
          (121.6605, 30.0519),  # berth: a GFW NINGBO anchorage point
          (121.682, 30.006), (121.965, 30.244), (122.144, 30.231), (122.182, 30.21),
          (122.532, 30.115), (122.6, 30.05)),
    _port("ZHOUSHAN", "ZHOUSHAN", "CHN", 30.0, 122.1, "ZHOUSHAN_OFF",
          (122.077, 29.977), (122.085, 29.96), (122.185, 29.915), (122.31, 29.931),
          (122.402, 30.098), (122.6, 30.05)),
    _port("QINGDAO", "QINGDAO GANG", "CHN", 36.033333, 120.266667, "QINGDAO_OFF",
          (120.267, 36.033), (120.317, 36.033), (120.8, 35.85)),
    _port("RIZHAO", "RIZHAO", "CHN", 35.383333, 119.566667, "RIZHAO_OFF",
          (119.575, 35.383), (119.9, 35.2)),
    _port("LIANYUNGANG", "LIANYUNGANG", "CHN", 34.733333, 119.45, "LYG_OFF",
          (119.425, 34.758), (119.425, 34.783), (119.467, 34.808), (120.1, 34.8)),
    _port("YANTAI", "YANTAI", "CHN", 37.55, 121.45, "NYS_YANTAI",
          (121.45, 37.55), (121.458, 37.625), (121.5, 37.75)),
    _port("LONGKOU", "LONGKOU GANG", "CHN", 37.633333, 120.283333, "BH_LONGKOU",
          (120.283, 37.633), (120.192, 37.667), (120.2, 37.85)),
    _port("WEIHAI", "WEIHAI", "CHN", 37.5, 122.1, "WEIHAI_OFF",
          (122.15, 37.5), (122.158, 37.483), (122.217, 37.483), (122.3, 37.65)),
    _port("DALIAN", "DALIAN", "CHN", 38.916667, 121.666667, "NYS_DALIAN",
          (121.683, 38.933), (121.725, 38.933), (121.9, 38.75)),
    _port("TIANJIN", "TIANJIN XIN GANG", "CHN", 38.966667, 117.833333, "BH_TIANJIN",
          (117.833, 38.967), (118.1, 38.95)),
    _port("JINGTANG", "TANGSHAN (JINGTANG)", "CHN", 39.2, 119.016667, "BH_JINGTANG",
          (119.035, 39.19), (119.1, 39.05)),
    _port("DANDONG", "DANDONG", "CHN", 39.816667, 124.15, "KB_DANDONG",
          (124.158, 39.817), (124.108, 39.658), (124.0, 39.55)),
    _port("NAMPO", "NAMPO", "PRK", 38.716667, 125.4, "KB_NAMPO",
          (125.4, 38.708), (125.225, 38.683), (124.942, 38.683), (124.9, 38.6)),
    _port("INCHEON", "INCHON", "KOR", 37.466667, 126.616667, "INCHEON_OFF",
          (126.581, 37.444), (126.227, 37.248), (126.152, 37.148), (126.1, 37.15)),
    _port("PYEONGTAEK", "PYEONGTAEK HANG", "KOR", 37.0, 126.8, "DAESAN_OFF",
          (126.8, 36.983), (126.783, 36.983), (126.658, 37.067), (126.4, 37.083),
          (126.2, 36.95)),
    _port("DAESAN", "DAESAN HANG", "KOR", 37.016667, 126.4, "DAESAN_OFF",
          (126.4, 37.025), (126.267, 37.017), (126.2, 36.95)),
    _port("KUNSAN", "KUNSAN", "KOR", 35.983333, 126.616667, "KUNSAN_OFF",
          (126.617, 35.992), (126.233, 35.933), (126.2, 35.9)),
    _port("MOKPO", "MOKPO", "KOR", 34.783333, 126.383333, "MOKPO_OFF",
          (126.381, 34.781), (126.306, 34.795), (126.047, 34.959), (125.861, 34.812),
          (125.872, 34.724), (125.9, 34.7)),
    _port("BUSAN", "PUSAN", "KOR", 35.1, 129.033333, "BUSAN_OFF",
          (129.033, 35.067), (129.017, 34.967), (129.0, 34.95)),
    _port("KEELUNG", "CHI-LUNG", "TWN", 25.133333, 121.766667, "KEELUNG_OFF",
          (121.783, 25.167), (121.85, 25.35)),
    _port("TAICHUNG", "TAI-CHUNG KANG", "TWN", 24.3, 120.5, "TAICHUNG_OFF",
          (120.5, 24.3), (120.25, 24.3)),
    _port("KAOHSIUNG", "KAO-HSIUNG", "TWN", 22.616667, 120.25, "KAOHSIUNG_OFF",
          (120.242, 22.617), (120.05, 22.5)),
]}
# fmt: on

CHINESE_PORTS = tuple(k for k, p in PORTS.items() if p.iso3 == "CHN")
KOREAN_PORTS = tuple(k for k, p in PORTS.items() if p.iso3 == "KOR")
DPRK_PORTS = ("NAMPO",)


@dataclass(frozen=True)
class Station:
    """A shore AIS receiver; reports within ``range_m`` of it are heard (outages aside)."""

    name: str
    lon: float
    lat: float
    range_m: float = 74_000.0  # 40 nm: typical VHF range of a shore station to a ship antenna


# Shore receivers at the ports (named after them); beyond their range only the satellite hears.
STATIONS: tuple[Station, ...] = tuple(
    Station(k, p.wpi_lon, p.wpi_lat)
    for k, p in PORTS.items()
    if k not in ("NINGBO", "DAESAN", "PYEONGTAEK")  # covered by ZHOUSHAN and INCHEON/KUNSAN
) + (
    Station("JEJU", 126.53, 33.52),  # WPI CHEJU HANG
    Station("WENZHOU", 120.65, 28.02),  # WPI WENZHOU
)
SATELLITE = "SAT"
