"""The ``stswatch`` command line: a thin layer over the library.

Errors raised on purpose (``StswatchError``) become one line on stderr and an exit code:
1 when an input could not be read, 2 for usage errors.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from stswatch.errors import StswatchError

app = typer.Typer(
    name="stswatch",
    help="Turn raw AIS into evidence of ship-to-ship transfers and sanctions evasion.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _register() -> None:
    # Each module adds its commands to ``app`` on import.
    from stswatch.cli import areas, data, detect, report, screen, serve, sim  # noqa: F401


def main() -> None:
    _register()
    try:
        app()  # standalone: usage errors exit 2 with click's message
    except StswatchError as exc:
        err.print(f"[bold red]stswatch:[/] {exc}", highlight=False)
        sys.exit(exc.exit_code)
