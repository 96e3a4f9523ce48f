"""One configuration object: every detector's parameters, loaded from ``stswatch.toml``.

The file has one table per detector, named as the detector, with the fields of its
``Params`` dataclass::

    [encounter]
    max_distance_m = 300
    min_duration_h = 3

Unknown tables or keys are errors (a typo must not silently leave a default in force).
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stswatch.errors import UsageError


@dataclass(frozen=True)
class Config:
    """Parameters per detector name (each a frozen ``Params`` instance)."""

    detectors: dict[str, Any] = field(default_factory=dict)
    source: str = "defaults"

    def params(self, name: str) -> Any:
        return self.detectors[name]


def _coerce(name: str, key: str, value: Any, current: Any) -> Any:
    if isinstance(current, bool) or current is None:
        return value
    if isinstance(current, float) and isinstance(value, int):
        return float(value)
    if isinstance(current, int | float | str) and not isinstance(value, type(current)):
        raise UsageError(
            f"[{name}] {key} = {value!r} should be a {type(current).__name__}. "
            "Hint: check the value in your config file."
        )
    return value


def load(path: str | Path | None, defaults: dict[str, Any]) -> Config:
    """Defaults overridden by the TOML file at ``path`` (when given)."""
    if path is None:
        return Config(dict(defaults))
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text())
    except FileNotFoundError as exc:
        raise UsageError(f"Config file {p} does not exist. Hint: check --config.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"Config file {p} is not valid TOML: {exc}.") from exc
    result = dict(defaults)
    for name, table in data.items():
        if name not in defaults:
            raise UsageError(
                f"{p}: unknown section [{name}]. Hint: sections are {', '.join(sorted(defaults))}."
            )
        if not isinstance(table, dict):
            raise UsageError(f"{p}: {name} must be a table ([{name}]).")
        params = defaults[name]
        names = {f.name for f in dataclasses.fields(params)}
        changes = {}
        for key, value in table.items():
            if key not in names:
                raise UsageError(
                    f"{p}: [{name}] has no setting {key!r}. Hint: settings are "
                    f"{', '.join(sorted(names))}."
                )
            changes[key] = _coerce(name, key, value, getattr(params, key))
        result[name] = dataclasses.replace(params, **changes)
    return Config(result, str(p))


def settings_table(defaults: dict[str, Any]) -> list[dict[str, Any]]:
    """Every setting with its default and help text (from the field's metadata or comment)."""
    rows = []
    for name, params in sorted(defaults.items()):
        for f in dataclasses.fields(params):
            rows.append(
                {
                    "section": name,
                    "setting": f.name,
                    "default": getattr(params, f.name),
                    "help": f.metadata.get("help", ""),
                }
            )
    return rows
