"""Users (admin only): list, add (the answer holds the token, shown once), remove."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from stswatch.serve import auth
from stswatch.serve.deps import DB, Admin, Cursor
from stswatch.serve.errors import ApiError
from stswatch.serve.models import UserCreate, UserCreated, UserOut

router = APIRouter(prefix="/api/users", tags=["users"])

UserName = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("", response_model=list[UserOut], summary="Every user (admin)")
def list_users(cur: Cursor, _: Admin) -> list[dict[str, Any]]:
    return auth.list_users(cur)


@router.post(
    "",
    response_model=UserCreated,
    status_code=201,
    summary="Add a user (admin); the token is in this answer only",
    responses={409: {"description": "A user of that name exists"}},
)
def add_user(db: DB, admin: Admin, body: UserCreate) -> dict[str, Any]:
    try:
        with db.write() as w:
            record, token = auth.add_user(w, body.name, body.role, admin.name)
    except auth.UserExists as exc:
        raise ApiError(409, str(exc)) from None
    return {"user": record, "token": token}


@router.delete(
    "/{name}",
    response_model=UserOut,
    summary="Remove a user (admin); their token stops working at once",
    responses={404: {"description": "No such user"}, 409: {"description": "The last admin"}},
)
def remove_user(db: DB, admin: Admin, name: UserName) -> dict[str, Any]:
    try:
        with db.write() as w:
            return auth.remove_user(w, name, admin.name)
    except auth.NoSuchUser as exc:
        raise ApiError(404, str(exc)) from None
    except auth.LastAdmin as exc:
        raise ApiError(409, str(exc)) from None
