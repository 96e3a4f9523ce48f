"""Screen: sanctions and watch lists, and which vessels in the store are on them.

* ``lists``: the registry of list loaders (``ofac``, ``un``, ``opensanctions``, ``csv``; the
  ``stswatch.lists`` entry-point group) and ``read_list``;
* one module per list format, each returning entries in the ``list_entries`` schema;
* ``normalize`` (vessel names), ``countries`` (flags), ``evidence`` (flag and type agreement);
* ``match``: the pure screening kernel; ``run``: screening the store; ``catalog``: adding and
  removing lists (each change re-screens).

See docs/screening.md for the rules and what a match does and does not prove.
"""

from __future__ import annotations

from stswatch.screen.catalog import ListChange, add_list, lists_table, remove_list
from stswatch.screen.lists import read_list
from stswatch.screen.match import Params, Screening, screen
from stswatch.screen.run import screen_store, vessels_sanctioned

__all__ = [
    "ListChange",
    "Params",
    "Screening",
    "add_list",
    "lists_table",
    "read_list",
    "remove_list",
    "screen",
    "screen_store",
    "vessels_sanctioned",
]
