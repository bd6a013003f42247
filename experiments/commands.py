"""The ``sweep``, ``report`` and ``rerun`` subcommands, for any argparse program.

``register(subparsers)`` adds them to an ``add_subparsers()`` object; each sets
``handler``, a function of the parsed arguments that returns the exit code:
0 done, 1 the work failed (a run raised, a rerun differs), 2 bad input (one
line on stderr naming the file and the field), 130 interrupted.

    crmsim sweep EXP.toml [--resume] [--workers N | --sequential | --dask local|tcp://HOST:PORT]
                          [--chunk-size N] [--quiet] [--out results/]
    crmsim report results/<experiment>/
    crmsim rerun results/<experiment>/ RUN_ID
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from crmsim.model.text import one_line, positive_int

__all__ = ["register", "sweep", "report", "rerun"]


def _fail(message: str, code: int = 2) -> int:
    print(f"crmsim: error: {one_line(message)}", file=sys.stderr)
    return code


def _say(args: argparse.Namespace, message: str) -> None:
    if not getattr(args, "quiet", False):
        print(message, flush=True)


def register(subparsers: Any) -> None:
    """Add ``sweep``, ``report`` and ``rerun`` to an argparse subparsers object."""
    p = subparsers.add_parser(
        "sweep", help="run an experiment's runs and save them; resume after a crash with --resume",
        description="Run every run of an experiment file (design points x replications) and save each finished "
                    "chunk to results/<experiment>/ as it completes.")
    p.add_argument("experiment", metavar="EXP.toml", help="experiment file, e.g. experiments/paper_question.toml")
    p.add_argument("--resume", action="store_true", help="finish a sweep that stopped: skip the runs already saved")
    backend = p.add_mutually_exclusive_group()
    backend.add_argument("--sequential", action="store_true", help="run in this process, one run after another")
    backend.add_argument("--dask", metavar="local|tcp://HOST:PORT",
                         help="run on Dask: 'local' starts a LocalCluster on 127.0.0.1, an address connects to a "
                              "running scheduler")
    p.add_argument("--workers", type=positive_int, metavar="N",
                   help="local processes (default: one per core), or LocalCluster workers with --dask local")
    p.add_argument("--chunk-size", type=positive_int, metavar="N",
                   help="runs sent to a worker at once (default: about 20 chunks per worker, at most 25 runs)")
    p.add_argument("--out", default="results", metavar="DIR", help="results root (default: results/)")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary line")
    p.set_defaults(handler=sweep)

    p = subparsers.add_parser(
        "report", help="write report.html (offline) and summary.csv for a sweep's results",
        description="Analyse saved results: means with 95%% confidence intervals per design point, time-series "
                    "bands, heatmaps, Sobol or Morris indices. Writes report.html and summary.csv in the folder.")
    p.add_argument("results", metavar="results/EXPERIMENT/", help="a sweep's results folder")
    p.add_argument("--quiet", action="store_true", help="do not print the paths written")
    p.set_defaults(handler=report)

    p = subparsers.add_parser(
        "rerun", help="re-run one run of a sweep alone and check it against the saved rows",
        description="Re-run one run from the manifest (same scenario, values and seed) and compare its rows with "
                    "the saved ones. Exit code 0 when identical, 1 when they differ.")
    p.add_argument("results", metavar="results/EXPERIMENT/", help="a sweep's results folder")
    p.add_argument("run_id", metavar="RUN_ID", help="the run id (column run_id of the results)")
    p.set_defaults(handler=rerun)


# --- sweep ------------------------------------------------------------------------------------


def _evaluator(args: argparse.Namespace) -> Any:
    from crmsim.experiments.evaluators import ProcessEvaluator, SequentialEvaluator

    if args.sequential:
        if args.workers:
            raise ValueError("--workers: not with --sequential")
        return SequentialEvaluator()
    if args.dask:
        from crmsim.experiments.evaluators.dask import DaskEvaluator, dask_available

        if args.dask != "local" and "://" not in args.dask:
            raise ValueError(f"--dask: got {args.dask!r}; allowed: local or a scheduler address like "
                             f"tcp://HOST:PORT")
        if args.workers and args.dask != "local":
            raise ValueError("--workers: only with --dask local (a running cluster has its own workers)")
        if not dask_available():
            raise ValueError("--dask: Dask is not installed; install it with: pip install 'dask[distributed]'")
        return DaskEvaluator(args.dask, workers=args.workers)
    return ProcessEvaluator(args.workers)


def _progress_bar(args: argparse.Namespace, total: int, done: int) -> Any:
    """A tqdm bar (runs done, runs/s, time left), or None when quiet or when stdout or stderr is not a terminal."""
    if args.quiet or not (sys.stdout.isatty() and sys.stderr.isatty()):
        return None
    from tqdm import tqdm

    # ``initial``: the rate and time left count this session's runs only.
    return tqdm(total=total, initial=done, unit="run", desc="runs", dynamic_ncols=True, smoothing=0.1)


def sweep(args: argparse.Namespace) -> int:
    """Handler of ``sweep``."""
    from crmsim.experiments.evaluators.base import EvaluatorError
    from crmsim.experiments.execute import RunError
    from crmsim.experiments.runner import preflight, run_sweep
    from crmsim.experiments.spec import SpecError, load_experiment
    from crmsim.experiments.store import StoreError

    try:
        experiment = load_experiment(args.experiment)
        evaluator = _evaluator(args)
    except (SpecError, ValueError) as err:
        return _fail(str(err))
    bars: list[Any] = []

    def on_start(total: int, done: int) -> None:
        if done:
            _say(args, f"{experiment.name}: {done} of {total} runs already saved; running the other {total - done}")
        bar = _progress_bar(args, total, done)
        if bar is not None:
            bars.append(bar)

    def on_progress(n: int) -> None:
        for bar in bars:
            bar.update(n)

    try:
        done = preflight(experiment, args.out, args.resume)
    except StoreError as err:
        return _fail(str(err))
    if done == experiment.n_runs:
        _say(args, f"{experiment.name}: all {done} runs are already saved in {Path(args.out) / experiment.name}/")
        return 0
    try:
        with evaluator:
            _say(args, f"{experiment.name}: {experiment.n_runs} runs ({experiment.n_points} design points x "
                       f"{experiment.spec.replications} replications) on {evaluator.describe()}")
            result = run_sweep(experiment, args.out, evaluator, resume=args.resume, chunk_size=args.chunk_size,
                               on_start=on_start, on_progress=on_progress)
    except StoreError as err:
        return _fail(str(err))
    except EvaluatorError as err:
        return _fail(str(err), 1)
    except KeyboardInterrupt:
        print("\ninterrupted: finished chunks are saved; continue with --resume", file=sys.stderr)
        return 130
    except RunError as err:  # a run raised: say which, in one line
        return _fail(f"{err} (finished chunks are saved; fix, then --resume)", 1)
    finally:
        for bar in bars:
            bar.close()
    rate = result.ran / result.seconds if result.seconds > 0 else float("nan")
    _say(args, f"{experiment.name}: {result.ran} runs in {result.seconds:.1f} s ({rate:.1f} runs/s); "
               f"{result.done_before + result.ran} of {result.total} saved in {result.root}/")
    return 0


# --- report -----------------------------------------------------------------------------------


def report(args: argparse.Namespace) -> int:
    """Handler of ``report``."""
    from crmsim.experiments.store import StoreError

    try:
        from crmsim.viz.report import write_report

        written = write_report(args.results)
    except StoreError as err:
        return _fail(str(err))
    for path in written:
        _say(args, f"wrote {path}")
    return 0


# --- rerun ------------------------------------------------------------------------------------


def rerun(args: argparse.Namespace) -> int:
    """Handler of ``rerun``."""
    from crmsim.experiments.rerun import RerunMismatch, rerun_run
    from crmsim.experiments.store import StoreError

    try:
        run_id = int(args.run_id)
        if run_id < 0:
            raise ValueError
    except ValueError:
        return _fail(f"RUN_ID: got {args.run_id!r}; allowed: a whole number of at least 0 (column run_id)")
    try:
        outcome = rerun_run(Path(args.results), run_id)
    except StoreError as err:
        return _fail(str(err))
    except RerunMismatch as err:
        return _fail(str(err), 1)
    print(outcome)
    return 0
