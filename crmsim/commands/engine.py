"""Where a command's runs go, and running them: the engine options every running command takes (--sequential,
--dask, --workers, --chunk-size), the evaluator they ask for, and the loop that runs an experiment's unsaved runs
and saves them (``sweep``, ``compare``; ``frontier``, ``worlds`` and ``patterns`` take the same options).

``--workers N`` above the cores this process may use (its CPU affinity) is
lowered to that number, with a one-line warning on stderr: more processes
than cores only share the same cores, and each holds a model in memory.
Progress: a bar when stderr is a terminal, else a line on stdout at least
every 10% of the runs or 30 s (``experiments.progress``). Ctrl-C and SIGTERM
stop the runs cleanly (``experiments.interrupt``): finished chunks stay saved.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from collections.abc import Callable
from typing import Any

from crmsim.commands.common import fail, say, warn
from crmsim.model.text import positive_int
from crmsim.texts import exits
from crmsim.texts.i18n import _, number

__all__ = ["engine_options", "evaluator_for", "discard_saved", "Engine", "run_experiment", "run_experiments",
           "stopped"]


def engine_options(p: argparse.ArgumentParser) -> None:
    """Where the runs go: --sequential, --dask or local --workers, and --chunk-size."""
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


def evaluator_for(args: argparse.Namespace) -> tuple[Any, str | None]:
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


def stopped(err: BaseException) -> str:
    """How a run that did not finish was stopped, in words: by SIGTERM, or interrupted (Ctrl-C)."""
    from crmsim.experiments.interrupt import Terminated

    return _("stopped by SIGTERM") if isinstance(err, Terminated) else _("interrupted")


def run_saving(root: Path, saved: str, body: Callable[[], int], errors: tuple[type[Exception], ...],
               nothing_kept: Callable[[str], str], kept: Callable[[str], str]) -> int:
    """Run ``body`` under ``root``'s lock, stopping cleanly on Ctrl-C or SIGTERM (worlds, frontier).

    ``saved`` is the file that holds what was done so far. Stopped before it exists, the command says
    ``nothing_kept(what)``; after, ``kept(what)`` (``what``: how it was stopped, in words). Either way a folder the run
    made and saved nothing in is removed, so it does not block the next command. ``errors`` become one line.
    """
    import shutil

    from crmsim.experiments.interrupt import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, sigterm_as_interrupt
    from crmsim.experiments.store import ResultStore

    created = next((p for p in reversed((root, *root.parents)) if not p.exists()), None)  # the top folder made
    with sigterm_as_interrupt():
        try:
            with ResultStore(root).lock():
                return body()
        except errors as err:
            return fail(str(err))
        except KeyboardInterrupt as err:
            done = created is None or (root / saved).exists()
            print("\n" + (kept if done else nothing_kept)(stopped(err)), file=sys.stderr)
            return EXIT_TERMINATED if isinstance(err, Terminated) else EXIT_INTERRUPTED
        finally:
            if created is not None and not (root / saved).exists():
                shutil.rmtree(created, ignore_errors=True)


def discard_saved(store: Any) -> str | None:
    """--fresh: remove a folder's saved runs (under its lock); why it could not, in one line, or None."""
    from crmsim.experiments.store import StoreError

    if not store.exists() and not store.part_files():
        return None
    try:
        store.discard_all()
    except StoreError as err:
        return str(err)
    return None


class Engine:
    """One evaluator for every experiment of a command (compare --worlds runs one per world): started when a
    first run needs it, so a command whose runs are all saved starts no worker; stopped once at the end, and at
    once (``abort``) when a run raised or was interrupted."""

    def __init__(self, evaluator: Any) -> None:
        self.evaluator, self.running = evaluator, False

    @contextlib.contextmanager
    def use(self) -> Any:
        if not self.running:
            self.evaluator.start()
            self.running = True
        try:
            yield self.evaluator
        except BaseException:
            self.close(abort=True)
            raise

    def close(self, abort: bool = False) -> None:
        if self.running:
            self.running = False
            self.evaluator.close(abort=abort)


def run_experiment(args: argparse.Namespace, experiment: Any) -> int:
    """Run an experiment's unsaved runs on the engine the options ask for; Ctrl-C and SIGTERM stop it cleanly."""
    return run_experiments(args, [(args, experiment, None)])


def run_experiments(args: argparse.Namespace, jobs: list[tuple[argparse.Namespace, Any, str | None]]) -> int:
    """Run each ``(options, experiment, announcement)`` in turn on one engine (the one ``args`` asks for), saying
    the announcement first if any; stop at the first that does not finish, with its exit code. Ctrl-C and SIGTERM
    stop it cleanly, saying what was kept."""
    from crmsim.experiments.interrupt import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, sigterm_as_interrupt

    try:
        evaluator, warning = evaluator_for(args)
    except ValueError as err:
        return fail(str(err))
    if warning is not None:
        warn(warning)
    engine = Engine(evaluator)
    root = Path(args.out)
    with sigterm_as_interrupt():
        try:
            for options, experiment, announcement in jobs:
                root = Path(options.out) / experiment.name
                if announcement:
                    say(args, announcement)
                code = _sweep(options, experiment, engine)
                if code != 0:
                    return code
            return 0
        except KeyboardInterrupt as err:
            from crmsim.experiments.store import ResultStore

            what = stopped(err)
            if ResultStore(root).exists():
                hint = getattr(args, "continue_hint", None) or _("continue with --resume")
                print("\n" + _("{what}: finished chunks are saved; {hint}").format(what=what, hint=hint),
                      file=sys.stderr)
            else:
                print("\n" + _("{what} before any run was saved; nothing was kept").format(what=what),
                      file=sys.stderr)
            return EXIT_TERMINATED if isinstance(err, Terminated) else EXIT_INTERRUPTED
        finally:
            engine.close()


def _sweep(args: argparse.Namespace, experiment: Any, engine: Engine) -> int:
    from crmsim.experiments.evaluators.base import EvaluatorError
    from crmsim.experiments.execute import RunError
    from crmsim.experiments.progress import progress_for
    from crmsim.experiments.runner import preflight, run_sweep
    from crmsim.experiments.store import ResultStore, StoreError

    shown: list[Any] = []

    def on_start(total: int, done: int) -> None:
        if done:
            say(args, _("{name}: {done} of {total} runs already saved; running the other {left}").format(
                name=experiment.name, done=done, total=total, left=total - done))
        progress = progress_for(experiment.name, total, done, quiet=args.quiet)
        if progress is not None:
            shown.append(progress)

    def on_progress(n: int, work: float) -> None:
        for progress in shown:
            progress.update(n, work)

    only = getattr(args, "only", None)  # a sequential comparison's next look: just these runs
    try:
        done = preflight(experiment, args.out, args.resume)
    except StoreError as err:
        return fail(str(err))
    if only is None and done == experiment.n_runs:
        say(args, _("{name}: all {done} runs are already saved in {folder}/").format(
            name=experiment.name, done=done, folder=Path(args.out) / experiment.name))
        return 0
    try:
        with engine.use() as evaluator:
            if only is None:
                say(args, _("{name}: {runs} runs ({points} design points x {reps} replications) on {engine}").format(
                    name=experiment.name, runs=experiment.n_runs, points=experiment.n_points,
                    reps=experiment.spec.replications, engine=evaluator.describe()))
            result = run_sweep(experiment, args.out, evaluator, resume=args.resume, chunk_size=args.chunk_size,
                               on_start=on_start, on_progress=on_progress, on_warning=warn, only=only)
    except StoreError as err:
        return fail(str(err))
    except OSError as err:  # anything the store did not already name
        return fail(f"{Path(args.out) / experiment.name}: {err.strerror or err}")
    except EvaluatorError as err:
        return fail(str(err), exits.ENGINE)
    except RunError as err:  # a run raised: say which, in one line
        kept = ResultStore(Path(args.out) / experiment.name).exists()
        note = _("finished chunks are saved; fix, then --resume") if kept else \
            _("no run was saved; fix, then sweep again")
        return fail(f"{err} ({note})", exits.RUN_FAILED)
    finally:
        for progress in shown:
            progress.close()
    rate = result.ran / result.seconds if result.seconds > 0 else float("nan")
    say(args, _("{name}: {ran} runs in {seconds} s ({rate} runs/s); {saved} of {total} saved in {folder}/").format(
        name=experiment.name, ran=result.ran, seconds=number(result.seconds, 1), rate=number(rate, 1),
        saved=result.done_before + result.ran, total=result.total, folder=result.root))
    return 0
