"""Serve: the analyst service (``stswatch serve``), a JSON API and an offline map page.

* ``app``: ``create_app(db_path)``, the FastAPI application;
* ``db``: a read cursor per request and a single writer over the DuckDB store;
* ``auth``: users, hashed tokens and roles; ``deps``: the FastAPI dependencies that check them;
* ``events``: filtered, sorted, paged events with score, triage and sanctions flags, and one
  event in context (evidence, both tracks, matches); ``triage``: versioned verdicts;
* ``audit``: the log of every change; ``errors``: one JSON error shape;
* ``routes``: one router per resource; ``models``: the pydantic request/response models;
* ``basemap``: the land GeoJSON the page draws; ``static/``: the page itself.

See docs/service.md.
"""

from __future__ import annotations

from stswatch.serve.app import create_app

__all__ = ["create_app"]
