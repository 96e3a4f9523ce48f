"""Who the simulated ships are: MMSIs with real MIDs, valid IMO numbers, names and call signs.

MMSIs are ``MIDxxxxxx`` with the Maritime Identification Digits of the flag (ITU-R M.585).
IMO numbers have seven digits, the last a check digit: the first six digits weighted 7, 6,
5, 4, 3, 2, summed, modulo 10. Call signs start with a series the ITU allocates to the flag
state (Radio Regulations Appendix 42). Names are made up from common patterns; with a
sanctions list (``load_sanctioned``), some tankers take real listed names and IMO numbers.
"""

from __future__ import annotations

import csv
import string
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from stswatch.errors import InputError
from stswatch.simulate.lanes import FISHING_HOME
from stswatch.simulate.ports import CHINESE_PORTS, KOREAN_PORTS, PORTS

CLASS_A = "A"
CLASS_B = "B"


@dataclass(frozen=True)
class Flag:
    iso3: str
    mids: tuple[int, ...]
    callsign_series: tuple[str, ...]  # ITU call sign prefixes of the administration
    callsign_len: int


FLAGS: dict[str, Flag] = {
    f.iso3: f
    for f in [
        Flag("CHN", (412, 413, 414), ("BA", "BO", "BP", "BQ", "BR", "BS", "BX", "BY"), 5),
        Flag("KOR", (440, 441), ("D7", "D8", "D9", "DS", "DT", "HL"), 4),
        Flag("PRK", (445,), ("HM", "P5", "P6"), 4),
        Flag(
            "PAN",
            (352, 353, 354, 355, 356, 357, 370, 371, 372, 373),
            ("3E", "3F", "H3", "H9", "HO", "HP"),
            5,
        ),
        Flag("MHL", (538,), ("V7",), 5),
        Flag("LBR", (636,), ("A8", "D5", "5L"), 5),
        Flag("PLW", (511,), ("T8",), 5),
        Flag("SLE", (667,), ("9L",), 5),
        Flag("KNA", (341,), ("V4",), 4),
        Flag("TGO", (671,), ("5V",), 4),
        Flag("MNG", (457,), ("JV",), 4),
        Flag("BLZ", (312,), ("V3",), 4),
    ]
}
FLAGS_OF_CONVENIENCE = ("PAN", "MHL", "LBR", "PLW", "SLE", "KNA", "TGO", "MNG", "BLZ")

# fmt: off
_PINYIN = ("HUA", "XIN", "HAI", "YANG", "TONG", "DA", "SHUN", "FENG", "RONG", "MIN", "ZHE", "LU",
           "JIN", "YUAN", "HONG", "CHANG", "AN", "KANG", "FU", "XING", "DE", "TAI", "HENG", "SHENG")
_KOREAN = ("HAN", "DONG", "SAE", "SEO", "NAM", "PUNG", "GANG", "SAN", "CHEON", "HWA", "JIN",
           "KWANG", "MYUNG", "SUNG")
_DPRK = ("KUM", "UN", "RYONG", "GANG", "PHYONG", "SONG", "CHOL", "HAE", "MYONG", "SIN", "PUNG",
         "SO", "KANG", "MO", "RAN")
_ADJ = ("OCEAN", "GOLDEN", "BLUE", "GRAND", "LUCKY", "NEW", "ASIA", "PACIFIC", "ROYAL", "SILVER",
        "BRIGHT", "EVER", "GREAT")
_NOUN = ("GLORY", "STAR", "HORIZON", "FORTUNE", "WAVE", "VISION", "PROSPER", "PEARL", "DRAGON",
         "PHOENIX", "HARMONY", "SPIRIT")
# fmt: on


def imo_check_digit(first_six: int) -> int:
    """Check digit of an IMO number from its first six digits (weights 7..2, sum mod 10)."""
    digits = [int(c) for c in f"{first_six:06d}"]
    return sum(d * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10


def imo_valid(imo: int) -> bool:
    return 1_000_000 <= imo <= 9_999_999 and imo % 10 == imo_check_digit(imo // 10)


def random_imo(rng: np.random.Generator) -> int:
    first_six = int(rng.integers(700_000, 980_000))
    return first_six * 10 + imo_check_digit(first_six)


def random_callsign(rng: np.random.Generator, flag: Flag) -> str:
    prefix = str(rng.choice(flag.callsign_series))
    rest = "".join(rng.choice(list(string.ascii_uppercase), flag.callsign_len - len(prefix) - 1))
    return prefix + rest + str(rng.integers(2, 10))


def random_name(rng: np.random.Generator, flag: str, ship_type: int) -> str:
    """A made-up name in the style of the flag (Chinese fishing boats: "... YU 123")."""
    if flag == "CHN":
        a, b = (str(w) for w in rng.choice(_PINYIN, 2, replace=False))
        if ship_type == 30:
            return f"{a} {b} YU {int(rng.integers(1, 999))}"
        return f"{a} {b} {int(rng.integers(1, 99))}"
    if flag == "KOR":
        return f"{rng.choice(_KOREAN)} {rng.choice(_KOREAN)} {rng.choice(_NOUN)}"[:20]
    if flag == "PRK":
        return f"{rng.choice(_DPRK)} {rng.choice(_DPRK)} {int(rng.integers(1, 12))}"
    return f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}"[:20]


@dataclass(frozen=True)
class Identity:
    """What a transmitter broadcasts in its static reports (one version)."""

    name: str
    callsign: str
    imo: int | None
    ship_type: int
    to_bow: int
    to_stern: int
    to_port: int
    to_starboard: int
    draught_m: float

    @property
    def length_m(self) -> int:
        return self.to_bow + self.to_stern

    @property
    def width_m(self) -> int:
        return self.to_port + self.to_starboard


@dataclass
class Vessel:
    """A simulated ship: its transmitter, its first identity and how it sails."""

    mmsi: int
    flag: str
    klass: str  # transceiver class A or B
    role: str  # tanker, cargo, fishing, dprk_tanker, ...
    identity: Identity
    speed_kn: float  # usual speed at sea
    home_ports: tuple[str, ...]
    sanctioned: dict[str, object] | None = None
    uses: list[str] = field(default_factory=list)  # scenarios the vessel takes part in

    def truth(self) -> dict[str, object]:
        i = self.identity
        return {
            "mmsi": self.mmsi,
            "name": i.name,
            "imo": i.imo,
            "callsign": i.callsign,
            "ship_type": i.ship_type,
            "class": self.klass,
            "flag": self.flag,
            "role": self.role,
            "length_m": i.length_m,
            "width_m": i.width_m,
            "draught_m": i.draught_m,
            "speed_kn": round(self.speed_kn, 1),
            "home_ports": list(self.home_ports),
            "sanctioned": self.sanctioned,
            "scenarios": self.uses,
        }


def _dims(rng: np.random.Generator, length_m: float) -> tuple[int, int, int, int]:
    width = max(4, round(length_m / rng.uniform(5.5, 7.0)))
    stern = max(2, round(length_m * rng.uniform(0.1, 0.2)))
    port = width // 2
    return round(length_m) - stern, stern, port, width - port


# role: (share of the fleet, flags, ship types, length range m, speed range kn, class)
ROLES: dict[
    str,
    tuple[float, tuple[str, ...], tuple[int, ...], tuple[float, float], tuple[float, float], str],
] = {
    "fishing": (0.15, ("CHN", "CHN", "KOR"), (30,), (25, 60), (8.0, 10.0), CLASS_B),
    "dprk_tanker": (0.07, ("PRK",), (80, 81), (70, 110), (8.0, 10.5), CLASS_A),
    "foc_tanker": (0.20, FLAGS_OF_CONVENIENCE, (80, 81, 82, 84), (90, 185), (10.0, 13.0), CLASS_A),
    "tanker": (0.15, ("CHN", "KOR"), (80, 81, 89), (100, 250), (10.5, 14.0), CLASS_A),
    "dprk_cargo": (0.03, ("PRK",), (70, 79), (80, 130), (8.5, 11.0), CLASS_A),
    "cargo": (
        0.40,
        ("CHN", "CHN", "KOR", "PAN", "LBR", "MHL"),
        (70, 71, 72, 74, 79),
        (100, 300),
        (11.0, 19.0),
        CLASS_A,
    ),
}


def _home_ports(flag: str, role: str) -> tuple[str, ...]:
    if role == "fishing":
        return tuple(k for k in FISHING_HOME if PORTS[k].iso3 == flag) or ("ZHOUSHAN",)
    if flag == "PRK":
        return ("NAMPO",)
    if flag == "CHN":
        return CHINESE_PORTS
    if flag == "KOR":
        return KOREAN_PORTS
    return tuple(PORTS)


def make_fleet(rng: np.random.Generator, n: int) -> list[Vessel]:
    """``n`` vessels with distinct MMSIs, roles in the shares of ``ROLES`` (rounded)."""
    names = list(ROLES)
    shares = np.array([ROLES[r][0] for r in names])
    counts = np.floor(shares * n).astype(int)
    for i in np.argsort(-(shares * n - counts))[: n - counts.sum()]:
        counts[i] += 1
    roles = [r for r, c in zip(names, counts, strict=True) for _ in range(c)]
    fleet: list[Vessel] = []
    used: set[int] = set()
    for role in roles:
        _, flags, types, (lmin, lmax), (vmin, vmax), klass = ROLES[role]
        flag = str(rng.choice(flags))
        while True:
            mmsi = int(rng.choice(FLAGS[flag].mids)) * 1_000_000 + int(rng.integers(0, 1_000_000))
            if mmsi not in used and mmsi % 1000 != 0:
                used.add(mmsi)
                break
        ship_type = int(rng.choice(types))
        length = float(rng.uniform(lmin, lmax))
        bow, stern, port, stbd = _dims(rng, length)
        laden = ship_type >= 80 and rng.random() < 0.5
        draught = round(
            length * (rng.uniform(0.045, 0.06) if laden else rng.uniform(0.03, 0.04)), 1
        )
        ident = Identity(
            name=random_name(rng, flag, ship_type),
            callsign=random_callsign(rng, FLAGS[flag]),
            imo=None if klass == CLASS_B else random_imo(rng),
            ship_type=ship_type,
            to_bow=bow,
            to_stern=stern,
            to_port=port,
            to_starboard=stbd,
            draught_m=min(draught, 25.0),
        )
        fleet.append(
            Vessel(
                mmsi=mmsi,
                flag=flag,
                klass=klass,
                role=role,
                identity=ident,
                speed_kn=float(rng.uniform(vmin, vmax)),
                home_ports=_home_ports(flag, role),
            )
        )
    order = rng.permutation(len(fleet))
    return [fleet[i] for i in order]


def load_sanctioned(path: Path) -> list[tuple[str, int]]:
    """(name, IMO) pairs from a CSV with a header naming an IMO column and a name column.

    Works with the UN 1718 extraction (``names``, ``imo``; aliases split on ``|``), the EU,
    Australian and New Zealand lists (``imo_number`` with ``vessel_name``/``names``/``name``).
    Rows whose IMO fails its check digit are skipped.
    """
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            lines = [ln for ln in fh if not ln.startswith("#")]
    except OSError as exc:
        raise InputError(f"Cannot read the sanctions list {path}: {exc}") from exc
    reader = csv.DictReader(lines)
    cols = list(reader.fieldnames or [])
    imo_col = next((c for c in cols if "imo" in c.lower()), None)
    name_col = next((c for c in cols if "name" in c.lower()), None)
    if imo_col is None or name_col is None:
        raise InputError(
            f"{path} has no IMO or name column (found: {', '.join(cols)}). Hint: give a CSV "
            "with a header such as imo,name (e.g. the UN 1718 or EU vessel lists)."
        )
    out: list[tuple[str, int]] = []
    for row in reader:
        digits = "".join(ch for ch in (row.get(imo_col) or "") if ch.isdigit())
        name = (row.get(name_col) or "").split("|")[0].strip().upper()
        if len(digits) == 7 and imo_valid(int(digits)) and name:
            out.append((name[:20], int(digits)))
    return out


def with_sanctioned(vessel: Vessel, name: str, imo: int, source: str) -> Vessel:
    """The vessel broadcasting a listed name and IMO number."""
    ident = replace(vessel.identity, name=name, imo=imo)
    return replace(vessel, identity=ident, sanctioned={"list": source, "name": name, "imo": imo})
