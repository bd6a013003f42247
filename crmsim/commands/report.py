"""``crmsim report``: analyse a sweep's saved results and write report.html (offline) and summary.csv."""

from __future__ import annotations

import argparse
from typing import Any

from crmsim.commands.common import fail, say, warn
from crmsim.texts.i18n import _

__all__ = ["register", "report"]


def register(subparsers: Any) -> None:
    """Add ``report`` to an argparse subparsers object."""
    p = subparsers.add_parser(
        "report", help="write report.html (offline) and summary.csv for a sweep's results",
        description="Analyse saved results: means with 95% confidence intervals per design point, time-series "
                    "bands, heatmaps, Sobol or Morris indices. Writes report.html and summary.csv in the folder.")
    p.add_argument("results", metavar="results/EXPERIMENT/", help="a sweep's results folder")
    p.add_argument("--quiet", action="store_true", help="do not print the paths written")
    p.set_defaults(handler=report)


def report(args: argparse.Namespace) -> int:
    """Handler of ``report``."""
    from crmsim.experiments.store import StoreError

    try:
        from crmsim.viz.report import write_report

        written = write_report(args.results, on_warning=warn)  # e.g. too few samples for Sobol indices
    except StoreError as err:
        return fail(str(err))
    except OSError as err:
        return fail(f"{args.results}: {err.strerror or err}")
    for path in written:
        say(args, _("wrote {file}").format(file=path))
    return 0
