"""The audit log: one row per change, written in the change's own transaction.

``record`` is called by every function that changes something (triage, lists, areas, users)
with the value before and after as JSON-ready dicts (``None`` for created / removed).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from stswatch.output import json_default
from stswatch.serve.db import Con, rows


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=json_default, sort_keys=True)


def record(
    con: Con,
    user: str,
    action: str,
    target: str,
    old: Any,
    new: Any,
    now: datetime | None = None,
) -> None:
    con.execute(
        'INSERT INTO audit (ts, "user", action, target, old, new) VALUES (?, ?, ?, ?, ?, ?)',
        [now or datetime.now(UTC), user, action, target, _json(old), _json(new)],
    )


def read(
    con: Con,
    *,
    user: str | None = None,
    action: str | None = None,
    target: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """Total matching rows and one page of them, newest first, with old/new parsed."""
    conds, params = ["TRUE"], []
    for col, value in (('"user"', user), ("action", action), ("target", target)):
        if value is not None:
            conds.append(f"{col} = ?")
            params.append(value)
    where = " AND ".join(conds)
    total_row = con.execute(f"SELECT count(*) FROM audit WHERE {where}", params).fetchone()
    page = rows(
        con,
        f'SELECT ts, "user", action, target, old, new FROM audit WHERE {where} '
        "ORDER BY ts DESC, rowid DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    for r in page:
        r["old"] = None if r["old"] is None else json.loads(r["old"])
        r["new"] = None if r["new"] is None else json.loads(r["new"])
    return (int(total_row[0]) if total_row else 0), page
