"""``crmsim sweep``: run every run of an experiment file and save each finished chunk as it completes.

    crmsim sweep EXP.toml [--resume | --fresh] [--workers N | --sequential | --dask local|tcp://HOST:PORT]
                          [--chunk-size N] [--quiet] [--out results/]

Exit codes (:mod:`crmsim.texts.exits`): 0 done, 1 a run raised (finished
chunks are kept), 2 bad input (one line on stderr naming the file and the
field, or the results folder and file), 3 the engine was lost, 130
interrupted by Ctrl-C, 143 stopped by SIGTERM (handled like Ctrl-C: the
session is recorded as interrupted, the workers are stopped, finished chunks
stay saved; see ``experiments.interrupt``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from crmsim.commands.common import fail
from crmsim.commands.engine import discard_saved, engine_options, run_experiment

__all__ = ["register", "sweep"]


def register(subparsers: Any) -> None:
    """Add ``sweep`` to an argparse subparsers object."""
    p = subparsers.add_parser(
        "sweep", help="run an experiment's runs and save them; resume after a crash with --resume",
        description="Run every run of an experiment file (design points x replications) and save each finished "
                    "chunk to results/<experiment>/ as it completes.")
    p.add_argument("experiment", metavar="EXP.toml", help="experiment file, e.g. experiments/paper_question.toml")
    p.add_argument("--resume", action="store_true", help="finish a sweep that stopped: skip the runs already saved")
    p.add_argument("--fresh", action="store_true",
                   help="discard the runs saved in this sweep's folder and run them all again (e.g. after the "
                        "model changed)")
    engine_options(p)
    p.add_argument("--out", default="results", metavar="DIR", help="results root (default: results/)")
    p.add_argument("--quiet", action="store_true",
                   help="no progress and no summary line (progress: a bar when stderr is a terminal, else a line "
                        "every 10%% of the runs or 30 s)")
    p.set_defaults(handler=sweep)


def sweep(args: argparse.Namespace) -> int:
    """Handler of ``sweep``."""
    from crmsim.experiments.spec import SpecError, load_experiment
    from crmsim.experiments.store import ResultStore

    try:
        experiment = load_experiment(args.experiment)
    except SpecError as err:
        return fail(str(err))
    if args.fresh:
        if args.resume:
            return fail("--fresh: not with --resume; allowed: one of the two (--fresh discards the saved runs)")
        problem = discard_saved(ResultStore(Path(args.out) / experiment.name))
        if problem is not None:
            return fail(problem)
    return run_experiment(args, experiment)
