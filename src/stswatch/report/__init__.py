"""Evidence reports: everything stswatch knows about one event, in one self-contained file.

``write_report(store, event_id, path)`` gathers the facts (``gather``), draws the map
(``maps`` over the offline ``basemap``) and the charts (``charts``), and renders them
through a Jinja2 template to HTML, or through WeasyPrint to PDF (``render``). The file
loads nothing from anywhere: styles are inline, pictures and the positions CSV are
``data:`` URIs. See docs/reports.md.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from stswatch.report.gather import DEFAULT_WINDOW_H, Dossier, gather
from stswatch.report.render import render_html, render_pdf
from stswatch.store import Store

REPORT_FORMATS = ("html", "pdf")

__all__ = [
    "DEFAULT_WINDOW_H",
    "REPORT_FORMATS",
    "Dossier",
    "build_report",
    "gather",
    "render_html",
    "render_pdf",
    "write_report",
]


def build_report(
    store: Store,
    event_id: str,
    fmt: str = "html",
    window_h: float = DEFAULT_WINDOW_H,
    now: datetime | None = None,
) -> tuple[Dossier, bytes]:
    """The dossier of ``event_id`` and its report as HTML or PDF bytes."""
    dossier = gather(store, event_id, window_h)
    html = render_html(dossier, now, for_print=fmt == "pdf")
    return dossier, (render_pdf(html) if fmt == "pdf" else html.encode("utf-8"))


def write_report(
    store: Store,
    event_id: str,
    path: Path,
    fmt: str = "html",
    window_h: float = DEFAULT_WINDOW_H,
    now: datetime | None = None,
) -> Dossier:
    """Write the report of ``event_id`` to ``path``; the dossier it shows."""
    dossier, payload = build_report(store, event_id, fmt, window_h, now)
    path.write_bytes(payload)
    return dossier
