"""``crmsim rerun``: re-run one saved run of a sweep alone and check it against the saved rows.

Exit code 0 when identical, 4 when the rerun does not reproduce the saved run
(:data:`crmsim.texts.exits.NO_ANSWER`), 2 for a bad folder or run id.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from crmsim.commands.common import fail
from crmsim.texts import exits

__all__ = ["register", "rerun"]


def register(subparsers: Any) -> None:
    """Add ``rerun`` to an argparse subparsers object."""
    p = subparsers.add_parser(
        "rerun", help="re-run one run of a sweep alone and check it against the saved rows",
        description="Re-run one run from the manifest (same scenario, values and seed) and compare its rows with "
                    "the saved ones. Exit code 0 when identical, 4 when they differ (it ran, and did not reproduce "
                    "them), 2 for a bad folder or RUN_ID.")
    p.add_argument("results", metavar="results/EXPERIMENT/", help="a sweep's results folder")
    p.add_argument("run_id", metavar="RUN_ID", help="the run id (column run_id of the results)")
    p.set_defaults(handler=rerun)


def rerun(args: argparse.Namespace) -> int:
    """Handler of ``rerun``."""
    from crmsim.experiments.rerun import RerunMismatch, rerun_run
    from crmsim.experiments.store import StoreError

    try:
        run_id = int(args.run_id)
        if run_id < 0:
            raise ValueError
    except ValueError:
        return fail(f"RUN_ID: got {args.run_id!r}; allowed: a whole number of at least 0 (column run_id)")
    try:
        outcome = rerun_run(Path(args.results), run_id)
    except StoreError as err:
        return fail(str(err))
    except OSError as err:
        return fail(f"{args.results}: {err.strerror or err}")
    except RerunMismatch as err:
        return fail(str(err), exits.NO_ANSWER)
    print(outcome)
    return 0
