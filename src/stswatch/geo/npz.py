"""Deterministic ``.npz`` files: same arrays, same bytes (``np.savez_compressed`` stamps the time).

The shipped geography is rebuilt by ``scripts/build_geo.py``; writing it byte for byte the
same from the same inputs lets a reviewer see from ``git diff`` whether a rebuild changed
anything. Files written here are ordinary ``.npz`` archives that ``np.load`` reads.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


def save_npz(path: Path, **arrays: npt.ArrayLike) -> None:
    """Write ``arrays`` as a deflated ``.npz`` with fixed entry times."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, np.asanyarray(array), allow_pickle=False)
