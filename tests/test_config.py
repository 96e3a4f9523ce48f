"""Config files override defaults and refuse what they do not know."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from stswatch.config import load, settings_table
from stswatch.errors import UsageError


@dataclass(frozen=True)
class P:
    max_distance_m: float = 500.0
    min_duration_h: float = 2.0


def test_override_and_coercion(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text("[encounter]\nmax_distance_m = 300\n")
    cfg = load(f, {"encounter": P()})
    assert cfg.params("encounter") == P(max_distance_m=300.0)
    assert isinstance(cfg.params("encounter").max_distance_m, float)


@pytest.mark.parametrize(
    "text, match",
    [
        ("[encounterr]\nx = 1\n", "unknown section"),
        ("[encounter]\nmax_dist = 1\n", "no setting 'max_dist'"),
        ("[encounter]\nmax_distance_m = 'far'\n", "should be a float"),
        ("[encounter\n", "not valid TOML"),
    ],
)
def test_mistakes_are_named(tmp_path, text, match):
    f = tmp_path / "c.toml"
    f.write_text(text)
    with pytest.raises(UsageError, match=match):
        load(f, {"encounter": P()})


def test_settings_table_lists_every_field():
    rows = settings_table({"encounter": P()})
    assert [(r["setting"], r["default"]) for r in rows] == [
        ("max_distance_m", 500.0),
        ("min_duration_h", 2.0),
    ]
