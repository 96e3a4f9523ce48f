"""FastAPI dependencies: the database, a read cursor per request, the user and their role.

Every API route depends on ``viewer``, ``analyst`` or ``admin``; no route reads data
without one. A missing or unknown token is 401; a known token with too low a role is 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from stswatch.serve.auth import User, verify
from stswatch.serve.db import Con, Database
from stswatch.serve.errors import ApiError

bearer = HTTPBearer(
    auto_error=False,
    description="A user token (`stsw_...`) from `stswatch users add` or `POST /api/users`.",
)


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def cursor(db: Annotated[Database, Depends(database)]) -> Iterator[Con]:
    with db.read() as cur:
        yield cur


DB = Annotated[Database, Depends(database)]
Cursor = Annotated[Con, Depends(cursor)]


def current_user(
    db: DB, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> User:
    if creds is None:
        raise ApiError(
            401,
            "No token. Hint: send 'Authorization: Bearer stsw_...' (a token from "
            "'stswatch users add'), or log in at /login.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    with db.read() as cur:
        user = verify(cur, creds.credentials)
    if user is None:
        raise ApiError(
            401,
            "The token is not valid (unknown, removed or mistyped). Hint: ask an admin for a "
            "new one.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return user


def _require(role: str) -> Callable[[User], User]:
    def dependency(user: Annotated[User, Depends(current_user)]) -> User:
        if not user.can(role):
            raise ApiError(
                403,
                f"{user.name} is a {user.role}; this needs the {role} role or higher. Hint: "
                "ask an admin.",
            )
        return user

    return dependency


Viewer = Annotated[User, Depends(_require("viewer"))]
Analyst = Annotated[User, Depends(_require("analyst"))]
Admin = Annotated[User, Depends(_require("admin"))]
