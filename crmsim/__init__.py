"""crmsim's command line (``crmsim run``, ``validate``, ``policies``).

The model itself lives in :mod:`model` and never prints or reads ``sys.argv``;
this package is the only place that talks to a terminal.
"""

from crmsim.cli import main

__all__ = ["main"]
