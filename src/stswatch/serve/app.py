"""The FastAPI application: the JSON API under /api, the map page, the login page.

``create_app(db_path)`` opens the store (creating the service's tables if missing) and wires
the routers. Pages and static assets need no token; the page keeps the user's token in the
browser (localStorage) and sends it as ``Authorization: Bearer`` with every API call, and
every API route needs a valid token. Nothing is fetched from the internet: MapLibre GL JS
and the land basemap are served from ``static/``. The OpenAPI document is at
``/api/openapi.json`` (token required; the Swagger page is off because it loads from a CDN).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from stswatch import __version__
from stswatch.serve import errors
from stswatch.serve.db import Database
from stswatch.serve.deps import Viewer
from stswatch.serve.routes import areas, events, lists, meta, users, vessels

STATIC = Path(__file__).resolve().parent / "static"

# The page loads only its own files; MapLibre's CSP build runs its worker from a file.
CSP = (
    "default-src 'self'; script-src 'self'; worker-src 'self'; child-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

ROUTERS = (meta.router, events.router, vessels.router, lists.router, areas.router, users.router)


def api_routes() -> list[tuple[str, str]]:
    """(method, path) of every API endpoint, e.g. ("GET", "/api/events/{event_id}")."""
    return sorted(
        (method, route.path)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    )


DESCRIPTION = """
The analyst service over one stswatch database: events ranked by score with their evidence,
both vessels' tracks, sanctions matches and triage; vessels and their identity history;
sanctions lists and areas; users and the audit log.

Every endpoint needs `Authorization: Bearer <token>` (a token from `stswatch users add`).
Roles: **viewer** reads; **analyst** also triages; **admin** also changes lists, areas and
users and reads the audit log. Errors are `{"error": {"status", "code", "message",
"details"}}`.
"""


def create_app(db_path: str | Path) -> FastAPI:
    """The app over the database at ``db_path`` (created if it does not exist)."""
    db = Database(db_path)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        db.close()

    app = FastAPI(
        title="stswatch",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.db = db
    errors.install(app)
    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=5)

    @app.middleware("http")
    async def headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if request.url.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    for router in ROUTERS:
        app.include_router(router)

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(_: Viewer) -> dict[str, Any]:
        return app.openapi()

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/login", include_in_schema=False)
    def login() -> FileResponse:
        return FileResponse(STATIC / "login.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
