"""Sanctions and watch lists: read for everyone; add (upload) and remove for admins.

Adding and removing reuse ``stswatch.screen.add_list`` / ``remove_list``, so each change
re-screens the store, exactly as ``stswatch lists add|remove`` does, and is audited.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool

from stswatch.screen import ListChange as Change
from stswatch.screen import add_list, lists_table, remove_list
from stswatch.screen.lists import formats
from stswatch.serve import audit
from stswatch.serve.db import Database, rows, store_on
from stswatch.serve.deps import DB, Admin, Cursor, Viewer
from stswatch.serve.errors import ApiError, invalid, not_found
from stswatch.serve.models import ListChange, ListEntryPage, ListInfo
from stswatch.serve.params import Limit, Offset

router = APIRouter(prefix="/api/lists", tags=["lists"])

MAX_UPLOAD_BYTES = 1 << 30  # the OFAC advanced XML is a few hundred MB
ListName = Annotated[str, PathParam(min_length=1, max_length=200)]
NO_LIST_HINT = "GET /api/lists shows the loaded lists."


def _list_row(con: Any, name: str) -> dict[str, Any] | None:
    found = [r for r in lists_table(store_on(con, "")).to_pylist() if r["name"] == name]
    return found[0] if found else None


@router.get("", response_model=list[ListInfo], summary="The loaded lists")
def get_lists(cur: Cursor, _: Viewer) -> list[dict[str, Any]]:
    return lists_table(store_on(cur, "")).to_pylist()


@router.get("/{name}/entries", response_model=ListEntryPage, summary="Vessels on one list")
def list_entries(
    cur: Cursor, _: Viewer, name: ListName, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    if _list_row(cur, name) is None:
        raise not_found("list", name, NO_LIST_HINT)
    total = cur.execute("SELECT count(*) FROM list_entries WHERE list_name = ?", [name]).fetchone()
    items = rows(
        cur,
        "SELECT * EXCLUDE (list_name) FROM list_entries WHERE list_name = ? "
        "ORDER BY entry_id LIMIT ? OFFSET ?",
        [name, limit, offset],
    )
    return {"total": total[0] if total else 0, "limit": limit, "offset": offset, "items": items}


def _summary(change: Change) -> dict[str, Any]:
    return {
        "list": change.record,
        "replaced_version": change.replaced_version,
        "matches": change.screening.matches.height,
        "gained": change.gained.height,
        "lost": change.lost.height,
    }


def _brief(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    keys = ("name", "format", "version", "entries", "sha256", "source_file", "loaded_at")
    return {k: row.get(k) for k in keys}


def _add(
    db: Database, path: Path, upload_name: str, name: str | None, fmt: str,
    version: date | None, force: bool, user: str,
) -> dict[str, Any]:  # fmt: skip
    with db.write() as w:
        before = {r["name"]: r for r in lists_table(store_on(w, db.path)).to_pylist()}
        change = add_list(
            store_on(w, db.path), path, name=name, fmt=fmt, version=version, force=force
        )
        list_name = str(change.record["name"])
        # the file was a temporary copy: record what the admin uploaded
        source = f"upload:{upload_name}"
        w.execute("UPDATE lists SET source_file = ? WHERE name = ?", [source, list_name])
        change.record["source_file"] = source
        new = {**(_brief(change.record) or {}), "gained": change.gained.height,
               "lost": change.lost.height}  # fmt: skip
        audit.record(w, user, "list.add", list_name, _brief(before.get(list_name)), new)
    return _summary(change)


@router.post(
    "",
    response_model=ListChange,
    status_code=201,
    summary="Upload a list file and load it (admin); re-screens the store",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The list file's bytes (OFAC XML/CSV, UN XML, OpenSanctions, CSV)",
            "content": {"application/octet-stream": {"schema": {"type": "string",
                                                                "format": "binary"}}},
        }
    },
)  # fmt: skip
async def post_list(
    request: Request,
    db: DB,
    user: Admin,
    filename: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="The file's name (its extension and any date in it are used, as "
            "for a file given to the CLI)",
        ),
    ],
    name: Annotated[str | None, Query(max_length=200, description="Store under this name")] = None,
    format: Annotated[str, Query(description="Loader, or auto")] = "auto",
    version: Annotated[
        date | None, Query(description="The list's publication date (YYYY-MM-DD)")
    ] = None,
    force: Annotated[bool, Query(description="Load an older version over a newer")] = False,
) -> dict[str, Any]:
    if format != "auto" and format not in formats():
        raise invalid("format", format, f"not one of auto, {', '.join(formats())}")
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", Path(filename).name).lstrip(".") or "list"
    tmp = Path(tempfile.mkdtemp(prefix="stswatch-list-"))
    try:
        path = tmp / safe
        size = 0
        with path.open("wb") as f:
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise ApiError(413, f"The upload is over {MAX_UPLOAD_BYTES:,} bytes.")
                f.write(chunk)
        if size == 0:
            raise invalid("body", "", "empty: send the list file's bytes as the body", "body")
        return await run_in_threadpool(
            _add, db, path, safe, name, format, version, force, user.name
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@router.delete(
    "/{name}", response_model=ListChange, summary="Remove a list (admin); re-screens the store"
)
def delete_list(db: DB, user: Admin, name: ListName) -> dict[str, Any]:
    with db.write() as w:
        if _list_row(w, name) is None:
            raise not_found("list", name, NO_LIST_HINT)
        change = remove_list(store_on(w, db.path), name)
        audit.record(w, user.name, "list.remove", name, _brief(change.record), None)
    return _summary(change)
