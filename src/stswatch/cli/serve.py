"""Commands for the analyst service: ``serve`` and ``users add|list|remove``."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from stswatch import output
from stswatch.cli import app, err, out
from stswatch.cli.options import DbOption, db_path
from stswatch.errors import UsageError

users_app = typer.Typer(
    help="Users of the analyst service and their tokens (roles: viewer, analyst, admin).",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the analyst service: the map page at http://HOST:PORT/ and the API under /api.

    The server holds the database open: stop it to ingest or detect. Every request needs a
    user's token: create one with 'stswatch users add NAME --role admin'.
    """
    import uvicorn

    from stswatch.serve import create_app
    from stswatch.serve.auth import list_users

    if not 0 < port < 65536:
        raise UsageError(f"--port {port} is not a TCP port (1-65535).")
    application = create_app(db_path(db))
    with application.state.db.read() as cur:
        if not list_users(cur):
            err.print(
                "No users yet: nobody can log in. Hint: stop the server and run "
                f"'stswatch users add NAME --role admin --db {db_path(db)}'.",
                highlight=False,
            )
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(
            f"Listening on {host}: tokens travel in clear text unless a TLS proxy is in front.",
            highlight=False,
        )
    out.print(f"stswatch serving {db_path(db)} at http://{host}:{port}/", highlight=False)
    uvicorn.run(application, host=host, port=port, workers=1, log_level="info")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name (letters, digits, . _ - @).")],
    role: Annotated[str, typer.Option(help="viewer, analyst or admin.")] = "viewer",
    db: DbOption = None,
) -> None:
    """Add a user and print their token. It is shown only this once; only a hash is kept."""
    from stswatch.serve.auth import add_user
    from stswatch.serve.db import Database

    database = Database(db_path(db))
    try:
        with database.write() as w:
            record, token = add_user(w, name, role, _actor())
    finally:
        database.close()
    err.print(
        f"Added {record['name']} ({record['role']}). The token, shown only now:",
        highlight=False,
    )
    out.file.write(token + "\n")


@users_app.command("list")
def users_list(
    db: DbOption = None,
    fmt: Annotated[str, typer.Option("--format", help="table|csv|json")] = "table",
) -> None:
    """The users: name, role, token id and when they were added (never the tokens)."""
    import pyarrow as pa

    from stswatch.serve.auth import list_users
    from stswatch.serve.db import Database

    if fmt not in ("table", "csv", "json"):
        raise UsageError(f"--format {fmt!r} is not one of table, csv, json.")
    database = Database(db_path(db))
    try:
        with database.read() as cur:
            found = list_users(cur)
    finally:
        database.close()
    tbl = pa.Table.from_pylist(
        found,
        schema=pa.schema(
            [("name", pa.string()), ("role", pa.string()), ("token_id", pa.string()),
             ("created", pa.timestamp("us", tz="UTC"))]
        ),
    )  # fmt: skip
    output.emit(tbl, fmt, out, title=f"{tbl.num_rows} users")


@users_app.command("remove")
def users_remove(
    name: Annotated[str, typer.Argument(help="User to remove.")],
    db: DbOption = None,
) -> None:
    """Remove a user; their token stops working (refused for the last admin)."""
    from stswatch.serve.auth import remove_user
    from stswatch.serve.db import Database

    database = Database(db_path(db))
    try:
        with database.write() as w:
            remove_user(w, name, _actor())
    finally:
        database.close()
    out.print(f"Removed {name}.", highlight=False)
