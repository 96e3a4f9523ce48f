"""Synthetic AIS traffic with injected sanctions-evasion events, for testing the detectors.

``stswatch simulate`` sails a fleet between real ports of the Yellow Sea, Korea Bay and East
China Sea over a sea-lane graph (``ports``, ``lanes``, ``traffic``), injects ship-to-ship
encounters, loitering, AIS gaps, spoofing and identity changes plus decoys that must *not*
be detected (``scenarios``), runs every report through a model of shore and satellite
reception (``receivers``, ``statics``), and writes NMEA, a MarineCadastre CSV and the truth
(``writers``, ``truth``). Everything is seeded: the same seed gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stswatch.simulate.simulator import SimConfig, World, build


def simulate(
    config: SimConfig, out: Path, *, nmea: bool = True, encoder: str = "fast"
) -> dict[str, Any]:
    """Simulate and write the files into ``out``; returns counts and timings."""
    import time

    from stswatch.simulate.writers import write_outputs

    t = time.perf_counter()
    world = build(config)
    built = time.perf_counter() - t
    result = write_outputs(world, out, nmea=nmea, encoder=encoder)
    result["timings_s"] = {"simulate": built, **result["timings_s"]}
    return result


__all__ = ["SimConfig", "World", "build", "simulate"]
