"""stswatch: turn raw AIS into evidence of ship-to-ship transfers and sanctions evasion."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("stswatch")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
