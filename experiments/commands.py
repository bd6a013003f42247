"""The ``sweep``, ``report`` and ``rerun`` subcommands, for any argparse program.

``register(subparsers)`` adds them to an ``add_subparsers()`` object; each sets
``handler``, a function of the parsed arguments that returns the exit code:
0 done, 1 the work failed (a run raised, a rerun differs), 2 bad input (one
line on stderr naming the file and the field, or the results folder and
file), 130 interrupted by Ctrl-C, 143 stopped by SIGTERM (handled like
Ctrl-C: the session is recorded as interrupted, the workers are stopped,
finished chunks stay saved; see ``experiments.interrupt``).

    crmsim sweep EXP.toml [--resume] [--workers N | --sequential | --dask local|tcp://HOST:PORT]
                          [--chunk-size N] [--quiet] [--out results/]
    crmsim report results/<experiment>/
    crmsim rerun results/<experiment>/ RUN_ID

``--workers N`` above the cores this process may use (its CPU affinity) is
lowered to that number, with a one-line warning on stderr: more processes
than cores only share the same cores, and each holds a model in memory.
Progress: a bar when stderr is a terminal, else a line on stdout at least
every 10% of the runs or 30 s (``experiments.progress``).
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


def _warn(message: str) -> None:
    print(f"crmsim: warning: {one_line(message)}", file=sys.stderr, flush=True)


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
                   help="local processes (default: one per core), or LocalCluster workers with --dask local; "
                        "at most the number of usable cores (a larger N is lowered to it, with a warning)")
    p.add_argument("--chunk-size", type=positive_int, metavar="N",
                   help="runs sent to a worker at once (default: about 20 chunks per worker, at most 25 runs)")
    p.add_argument("--out", default="results", metavar="DIR", help="results root (default: results/)")
    p.add_argument("--quiet", action="store_true",
                   help="no progress and no summary line (progress: a bar when stderr is a terminal, else a line "
                        "every 10%% of the runs or 30 s)")
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


def _evaluator(args: argparse.Namespace) -> tuple[Any, str | None]:
    """The evaluator the options ask for, and a warning if --workers was lowered (ValueError: bad options)."""
    from crmsim.experiments.evaluators import ProcessEvaluator, SequentialEvaluator
    from crmsim.experiments.evaluators.processes import available_cores
    from crmsim.experiments.limits import cap_workers

    if args.sequential:
        if args.workers:
            raise ValueError("--workers: not with --sequential")
        return SequentialEvaluator(), None
    if args.dask:
        from crmsim.experiments.evaluators.dask import DaskEvaluator, address_problem

        problem = address_problem(args.dask)
        if problem is not None:
            raise ValueError(f"--dask: {problem}")
        if args.workers and args.dask != "local":
            raise ValueError("--workers: only with --dask local (a running cluster has its own workers)")
    workers, warning = cap_workers(args.workers, available_cores())
    if args.dask:
        return DaskEvaluator(args.dask, workers=workers), warning
    return ProcessEvaluator(workers), warning


def sweep(args: argparse.Namespace) -> int:
    """Handler of ``sweep``."""
    from crmsim.experiments.interrupt import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, sigterm_as_interrupt
    from crmsim.experiments.spec import SpecError, load_experiment

    try:
        experiment = load_experiment(args.experiment)
        evaluator, warning = _evaluator(args)
    except (SpecError, ValueError) as err:
        return _fail(str(err))
    if warning is not None:
        _warn(warning)
    root = Path(args.out) / experiment.name
    with sigterm_as_interrupt():
        try:
            return _sweep(args, experiment, evaluator)
        except KeyboardInterrupt as err:
            from crmsim.experiments.store import ResultStore

            what = "stopped by SIGTERM" if isinstance(err, Terminated) else "interrupted"
            if ResultStore(root).exists():
                print(f"\n{what}: finished chunks are saved; continue with --resume", file=sys.stderr)
            else:
                print(f"\n{what} before any run was saved; nothing was kept", file=sys.stderr)
            return EXIT_TERMINATED if isinstance(err, Terminated) else EXIT_INTERRUPTED


def _sweep(args: argparse.Namespace, experiment: Any, evaluator: Any) -> int:
    from crmsim.experiments.evaluators.base import EvaluatorError
    from crmsim.experiments.execute import RunError
    from crmsim.experiments.progress import progress_for
    from crmsim.experiments.runner import preflight, run_sweep
    from crmsim.experiments.store import ResultStore, StoreError

    shown: list[Any] = []

    def on_start(total: int, done: int) -> None:
        if done:
            _say(args, f"{experiment.name}: {done} of {total} runs already saved; running the other {total - done}")
        progress = progress_for(experiment.name, total, done, quiet=args.quiet)
        if progress is not None:
            shown.append(progress)

    def on_progress(n: int) -> None:
        for progress in shown:
            progress.update(n)

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
                               on_start=on_start, on_progress=on_progress, on_warning=_warn)
    except StoreError as err:
        return _fail(str(err))
    except OSError as err:  # anything the store did not already name
        return _fail(f"{Path(args.out) / experiment.name}: {err.strerror or err}")
    except EvaluatorError as err:
        return _fail(str(err), 1)
    except RunError as err:  # a run raised: say which, in one line
        kept = ResultStore(Path(args.out) / experiment.name).exists()
        note = "finished chunks are saved; fix, then --resume" if kept else "no run was saved; fix, then sweep again"
        return _fail(f"{err} ({note})", 1)
    finally:
        for progress in shown:
            progress.close()
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
    except OSError as err:
        return _fail(f"{args.results}: {err.strerror or err}")
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
    except OSError as err:
        return _fail(f"{args.results}: {err.strerror or err}")
    except RerunMismatch as err:
        return _fail(str(err), 1)
    print(outcome)
    return 0
