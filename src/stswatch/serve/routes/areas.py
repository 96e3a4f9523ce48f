"""Areas of interest: read for everyone (built-in and user areas, as GeoJSON); add and remove
user areas for admins. Changes reuse ``stswatch.areas`` and re-score in the same
transaction, as ``stswatch areas add|remove`` does, and are audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from shapely.geometry import mapping

from stswatch import areas as lib
from stswatch.serve import audit
from stswatch.serve.db import Con, Database, store_on
from stswatch.serve.deps import DB, Admin, Cursor, Viewer
from stswatch.serve.errors import ApiError

router = APIRouter(prefix="/api/areas", tags=["areas"])

AreaName = Annotated[str, Path(min_length=1, max_length=200)]


def _record(a: lib.Area) -> dict[str, Any]:
    return {
        "name": a.name,
        "origin": a.origin,
        "weight": a.weight,
        "source": a.source,
        "description": a.description,
        "geometry": mapping(a.geometry),
    }


def _rescore(db: Database, con: Con) -> bool:
    """Re-score the events after an area change, in the change's transaction."""
    from stswatch.score.run import rescore

    rescore(store_on(con, db.path))
    return True


@router.get(
    "",
    summary="Areas in force (built-in and user) as a GeoJSON FeatureCollection",
    responses={200: {"content": {"application/geo+json": {}}}},
)
def get_areas(db: DB, cur: Cursor, _: Viewer) -> dict[str, Any]:
    return lib.areas_geojson(lib.areas_in_force(store_on(cur, db.path)))


@router.post(
    "",
    status_code=201,
    summary="Add (or replace) user areas from GeoJSON (admin); re-scores the events",
)
def post_areas(
    db: DB,
    user: Admin,
    geojson: Annotated[
        dict[str, Any],
        Body(
            description="A FeatureCollection, Feature, Polygon or MultiPolygon; each feature "
            "is an area named by its 'name' property (weight 0-1, source, description)"
        ),
    ],
    name: Annotated[
        str | None, Query(max_length=200, description="Name one area, or merge several")
    ] = None,
) -> dict[str, Any]:
    found = lib.parse_areas(geojson, "the request body", name)
    with db.write() as w:
        store = store_on(w, db.path)
        before = {a.name: a for a in lib.user_areas(store)}
        lib.save_areas(store, found)
        for a in found:
            old = before.get(a.name)
            audit.record(
                w, user.name, "area.add", a.name, _record(old) if old else None, _record(a)
            )
        rescored = _rescore(db, w)
    return {"added": [a.name for a in found], "rescored": rescored}


@router.delete("/{name}", summary="Remove a user area (admin); re-scores the events")
def delete_area(db: DB, user: Admin, name: AreaName) -> dict[str, Any]:
    with db.write() as w:
        store = store_on(w, db.path)
        if name not in {a.name for a in lib.user_areas(store)}:
            builtin = any(a.name == name for a in lib.builtin_areas())
            raise ApiError(
                409 if builtin else 404,
                f"{name!r} is a built-in area and cannot be removed."
                if builtin
                else f"No user area named {name!r}. Hint: GET /api/areas lists them.",
            )
        old = lib.delete_area(store, name)
        audit.record(w, user.name, "area.remove", name, _record(old), None)
        rescored = _rescore(db, w)
    return {"removed": name, "rescored": rescored}
