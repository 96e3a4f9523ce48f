"""Shared fixtures: paths to the real data in ../shared/data and in the repo."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
SAMPLES = REPO / "data" / "samples"


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"{SHARED} is missing: the test suite needs ../shared beside the repository.")
    return SHARED


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES
