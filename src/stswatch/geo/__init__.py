"""Reference geography shipped with stswatch: ports, anchorages, land and shore distance.

``default_geo()`` returns a ``Geo`` built from the files in ``stswatch/data/geo`` (made by
``scripts/build_geo.py`` from public-domain and Apache-2.0 sources, see docs/geo.md). Nothing
is read at import time.
"""

from stswatch.geo.lookup import Geo, data_dir, default_geo
from stswatch.geo.ports import PORT_SCHEMA

__all__ = ["PORT_SCHEMA", "Geo", "data_dir", "default_geo"]
