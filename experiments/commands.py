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
import contextlib
import sys
from pathlib import Path
from typing import Any

from crmsim import exits
from crmsim.model.limits import MAX_STEPS
from crmsim.model.text import bounded_int, one_line, positive_int

__all__ = ["register", "sweep", "compare", "report", "rerun", "verdict_table", "cost_table"]

WORLDS_FILE = "calibration/worlds.parquet"  # compare --worlds reads it unless --worlds-file names another
FIRST_LOOK = 5  # a sequential comparison looks after every 5 paired runs per scenario
DEFAULT_BUDGET = 40  # ... up to this many (docs/ODD.md, "Verdicts decided as runs come in")


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
    p.add_argument("--fresh", action="store_true",
                   help="discard the runs saved in this sweep's folder and run them all again (e.g. after the "
                        "model changed)")
    _engine_options(p)
    p.add_argument("--out", default="results", metavar="DIR", help="results root (default: results/)")
    p.add_argument("--quiet", action="store_true",
                   help="no progress and no summary line (progress: a bar when stderr is a terminal, else a line "
                        "every 10%% of the runs or 30 s)")
    p.set_defaults(handler=sweep)

    p = subparsers.add_parser(
        "compare", help="run scenario files with the same seeds and compare them with 95%% intervals "
                        "(crmsim compare scenarios/calibrated_baseline.toml scenarios/redress_procedure.toml)",
        description="Run every scenario file --reps times with the same replicate seeds (common random numbers: "
                    "replicate r of every file shares its population, network and warm-up), then compare each "
                    "file with the first: means with 95% intervals, paired differences, a verdict per metric, "
                    "bands over time and who gains and who loses by digital skill. Writes compare.html (offline) "
                    "and compare.csv, and prints the verdicts. Runs already saved for the same files are reused.",
        epilog="examples:\n  crmsim compare scenarios/calibrated_baseline.toml scenarios/redress_procedure.toml\n"
               "  crmsim compare scenarios/calibrated_baseline.toml scenarios/faq.toml scenarios/public_qa.toml "
               "--reps 50\n  crmsim --lang fr compare scenarios/calibrated_baseline.toml scenarios/digital_first.toml",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO.toml",
                   help="two or more scenario files; the first is the reference")
    p.add_argument("--reps", type=bounded_int(2, 100_000), metavar="N",
                   help="a fixed design: exactly N runs per scenario, paired across scenarios (at least 2); without "
                        "it, runs are added in looks of 5 until every headline verdict is decided or --budget is "
                        "spent")
    p.add_argument("--budget", type=bounded_int(FIRST_LOOK, 100_000), default=DEFAULT_BUDGET, metavar="N",
                   help=f"the most paired runs per scenario a comparison without --reps may add "
                        f"(default: {DEFAULT_BUDGET})")
    p.add_argument("--steps", type=bounded_int(1, MAX_STEPS), metavar="N",
                   help="weeks recorded after the warm-up (default: each file's `steps`)")
    p.add_argument("--seed", type=bounded_int(0, 2**63 - 1), metavar="S",
                   help="master seed of the replicates (default: the first file's `seed`)")
    _engine_options(p)
    p.add_argument("--out", default="results/compare", metavar="DIR",
                   help="where the comparison's folder goes (default: results/compare/)")
    p.add_argument("--fresh", action="store_true",
                   help="discard runs saved by an earlier comparison of these files (e.g. after editing one)")
    p.add_argument("--worlds", type=bounded_int(1, 10_000), metavar="N",
                   help="also compare the files in each of the first N plausible worlds (crmsim worlds) and say in "
                        "how many each verdict holds, e.g. --worlds 20")
    p.add_argument("--world-reps", type=bounded_int(2, 100_000), default=10, metavar="N",
                   help="paired runs per scenario in each world (default: 10)")
    p.add_argument("--worlds-file", metavar="FILE",
                   help="the plausible worlds, with --worlds (default: calibration/worlds.parquet)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(handler=compare, resume=False)

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


def _engine_options(p: argparse.ArgumentParser) -> None:
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
    from crmsim.experiments.spec import SpecError, load_experiment
    from crmsim.experiments.store import ResultStore

    try:
        experiment = load_experiment(args.experiment)
    except SpecError as err:
        return _fail(str(err))
    if args.fresh:
        if args.resume:
            return _fail("--fresh: not with --resume; allowed: one of the two (--fresh discards the saved runs)")
        problem = _discard_saved(ResultStore(Path(args.out) / experiment.name))
        if problem is not None:
            return _fail(problem)
    return _run_experiment(args, experiment)


def _discard_saved(store: Any) -> str | None:
    """--fresh: remove a folder's saved runs (under its lock); why it could not, in one line, or None."""
    from crmsim.experiments.store import StoreError

    if not store.exists() and not store.part_files():
        return None
    try:
        store.discard_all()
    except StoreError as err:
        return str(err)
    return None


class _Engine:
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


def _run_experiment(args: argparse.Namespace, experiment: Any) -> int:
    """Run an experiment's unsaved runs on the engine the options ask for; Ctrl-C and SIGTERM stop it cleanly."""
    return _run_experiments(args, [(args, experiment, None)])


def _run_experiments(args: argparse.Namespace, jobs: list[tuple[argparse.Namespace, Any, str | None]]) -> int:
    """Run each ``(options, experiment, announcement)`` in turn on one engine (the one ``args`` asks for), saying
    the announcement first if any; stop at the first that does not finish, with its exit code. Ctrl-C and SIGTERM
    stop it cleanly, saying what was kept."""
    from crmsim.experiments.interrupt import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, sigterm_as_interrupt

    try:
        evaluator, warning = _evaluator(args)
    except ValueError as err:
        return _fail(str(err))
    if warning is not None:
        _warn(warning)
    engine = _Engine(evaluator)
    root = Path(args.out)
    with sigterm_as_interrupt():
        try:
            for options, experiment, announcement in jobs:
                root = Path(options.out) / experiment.name
                if announcement:
                    _say(args, announcement)
                code = _sweep(options, experiment, engine)
                if code != 0:
                    return code
            return 0
        except KeyboardInterrupt as err:
            from crmsim.experiments.store import ResultStore

            what = "stopped by SIGTERM" if isinstance(err, Terminated) else "interrupted"
            if ResultStore(root).exists():
                hint = getattr(args, "continue_hint", "continue with --resume")
                print(f"\n{what}: finished chunks are saved; {hint}", file=sys.stderr)
            else:
                print(f"\n{what} before any run was saved; nothing was kept", file=sys.stderr)
            return EXIT_TERMINATED if isinstance(err, Terminated) else EXIT_INTERRUPTED
        finally:
            engine.close()


def _sweep(args: argparse.Namespace, experiment: Any, engine: _Engine) -> int:
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

    def on_progress(n: int, work: float) -> None:
        for progress in shown:
            progress.update(n, work)

    only = getattr(args, "only", None)  # a sequential comparison's next look: just these runs
    try:
        done = preflight(experiment, args.out, args.resume)
    except StoreError as err:
        return _fail(str(err))
    if only is None and done == experiment.n_runs:
        _say(args, f"{experiment.name}: all {done} runs are already saved in {Path(args.out) / experiment.name}/")
        return 0
    try:
        with engine.use() as evaluator:
            if only is None:
                _say(args, f"{experiment.name}: {experiment.n_runs} runs ({experiment.n_points} design points x "
                           f"{experiment.spec.replications} replications) on {evaluator.describe()}")
            result = run_sweep(experiment, args.out, evaluator, resume=args.resume, chunk_size=args.chunk_size,
                               on_start=on_start, on_progress=on_progress, on_warning=_warn, only=only)
    except StoreError as err:
        return _fail(str(err))
    except OSError as err:  # anything the store did not already name
        return _fail(f"{Path(args.out) / experiment.name}: {err.strerror or err}")
    except EvaluatorError as err:
        return _fail(str(err), exits.ENGINE)
    except RunError as err:  # a run raised: say which, in one line
        kept = ResultStore(Path(args.out) / experiment.name).exists()
        note = "finished chunks are saved; fix, then --resume" if kept else "no run was saved; fix, then sweep again"
        return _fail(f"{err} ({note})", exits.RUN_FAILED)
    finally:
        for progress in shown:
            progress.close()
    rate = result.ran / result.seconds if result.seconds > 0 else float("nan")
    _say(args, f"{experiment.name}: {result.ran} runs in {result.seconds:.1f} s ({rate:.1f} runs/s); "
               f"{result.done_before + result.ran} of {result.total} saved in {result.root}/")
    return 0


# --- compare ----------------------------------------------------------------------------------


def compare(args: argparse.Namespace) -> int:
    """Handler of ``compare``: run (or reuse) the paired runs, then write compare.html and compare.csv."""
    from crmsim.experiments.compare import comparison_experiment
    from crmsim.experiments.spec import SpecError
    from crmsim.experiments.store import ResultStore, StoreError
    from crmsim.model.scenario import ScenarioError, check_runnable

    if len(args.scenarios) < 2:
        return _fail(f"SCENARIO.toml: got one file ({args.scenarios[0]}); allowed: two or more, the first being "
                     f"the reference, e.g. crmsim compare scenarios/calibrated_baseline.toml scenarios/faq.toml")
    from crmsim.experiments.sequential import Design

    design = None if args.reps is not None else Design.every(FIRST_LOOK, args.budget)
    try:
        for path in args.scenarios:  # every file it points to, before any folder is made
            check_runnable(path)
        experiment = comparison_experiment(args.scenarios, args.reps or design.budget, args.steps, args.seed)
    except ScenarioError as err:
        return _fail(str(err))
    except SpecError as err:
        return _fail(str(err).removeprefix("crmsim compare: "))
    if args.worlds_file is not None and not args.worlds:
        return _fail(f"--worlds-file: given without --worlds; allowed: with --worlds N, e.g. --worlds 20 "
                     f"--worlds-file {args.worlds_file}")
    store = ResultStore(Path(args.out) / experiment.name)
    jobs = [(args, experiment, None)]
    worlds: list[tuple[int, dict[str, float], Any]] = []
    if args.worlds:  # every world read and set on every file before anything is run or discarded
        args.worlds_file = args.worlds_file or WORLDS_FILE
        try:
            worlds = _world_experiments(args, store.root / "worlds")
        except ValueError as err:
            return _fail(str(err))
        _say(args, f"in {len(worlds)} plausible worlds ({args.worlds_file}), {args.world_reps} paired runs each")
        for i, (world, _, sub) in enumerate(worlds):
            jobs.append((sub, sub.experiment, f"world {world} ({i + 1} of {len(worlds)})"))
    # Only now that every input is known to be good: a refused command discards nothing.
    for options, job, _ in jobs:
        job_store = ResultStore(Path(options.out) / job.name)
        if args.fresh:
            problem = _discard_saved(job_store)
            if problem is not None:
                return _fail(problem)
        else:  # the same files, reps and seed: the runs already saved are reused, if today's model made them
            options.resume = job_store.exists()
    args.continue_hint = "run the same command again to continue"  # compare resumes by itself
    if design is not None:
        code = _run_looks(args, experiment, design)
        if code != 0:
            return code
        jobs = jobs[1:]
    code = _run_experiments(args, jobs) if jobs else 0
    if code != 0:
        return code
    across = None
    if worlds:
        try:
            across = _across_worlds(worlds)
        except StoreError as err:
            return _fail(str(err))
    return _write_comparison(args, store.root, across, design)


def _run_looks(args: argparse.Namespace, experiment: Any, design: Any) -> int:
    """A sequential comparison: after each look, only the scenarios whose headline verdicts are not all decided
    get more paired runs (:func:`experiments.looks.replay`), until every one is decided or the budget is spent."""
    import copy

    from crmsim.experiments.analysis import load_results
    from crmsim.experiments.compare import HEADLINE_TABLE
    from crmsim.experiments.execute import SCENARIO_FACTOR
    from crmsim.experiments.looks import replay
    from crmsim.experiments.store import ResultStore, StoreError

    store = ResultStore(Path(args.out) / experiment.name)
    labels = [point[SCENARIO_FACTOR] for point in experiment.design.points]
    while True:
        try:
            final = load_results(store.root).final if store.part_files() else None
        except StoreError as err:
            return _fail(str(err))
        stops = replay(final if final is not None else _no_runs(), labels, design, HEADLINE_TABLE)
        needs = {label: stop.needs for label, stop in stops.items() if stop.needs is not None}
        if not needs:
            return 0
        reps = design.budget
        wanted = {labels.index(label) * reps + r for label, n in needs.items() for r in range(n)}
        wanted |= set(range(max(needs.values())))  # the reference, paired with the most demanding
        look = design.looks.index(max(needs.values()))
        _say(args, f"look {look + 1} of {len(design.looks)}: {len(needs)} scenario{'s' if len(needs) > 1 else ''} "
                   f"to decide, {max(needs.values())} paired runs each")
        options = copy.copy(args)
        options.only, options.resume = wanted, store.exists()
        code = _run_experiments(args, [(options, experiment, None)])
        if code != 0:
            return code


def _no_runs() -> Any:
    import pandas as pd

    return pd.DataFrame(columns=["scenario", "replicate", "metric", "value"])


def _world_experiments(args: argparse.Namespace, folder: Path) -> list[tuple[int, dict[str, float], Any]]:
    """The worlds --worlds asks for, as ``(world, values, options)``: ``options.experiment`` is the files' comparison
    with the world's values set, saved under ``folder``. Every world is checked here, so a bad value stops the
    command before any run (ValueError: one line, e.g. a missing worlds file)."""
    import copy

    from crmsim.calibration.worlds import WorldsError, read_worlds
    from crmsim.experiments.compare import comparison_experiment
    from crmsim.experiments.spec import SpecError
    from crmsim.experiments.worlds_compare import world_folder, world_values

    try:
        table, provenance = read_worlds(args.worlds_file)
    except WorldsError as err:
        raise ValueError(f"--worlds-file: {err}") from None
    out = []
    for world, values in world_values(table, provenance, args.worlds):
        try:
            experiment = comparison_experiment(args.scenarios, args.world_reps, args.steps, args.seed, values,
                                               world_folder(world, values))
        except SpecError as err:
            raise ValueError(f"--worlds-file: {args.worlds_file}: world {world}: "
                             f"{str(err).removeprefix('crmsim compare: ')}") from None
        options = copy.copy(args)
        options.out, options.experiment = str(folder), experiment
        out.append((world, values, options))
    return out


def _across_worlds(worlds: list[tuple[int, dict[str, float], Any]]) -> tuple[Any, Any]:
    """Each verdict's shares across the worlds, and what it depends on, read from every world's saved comparison."""
    import pandas as pd

    from crmsim.experiments.compare import HEADLINE_TABLE
    from crmsim.experiments.worlds_compare import across_worlds, dependence, load_world_diffs

    diffs = load_world_diffs([(world, Path(options.out) / options.experiment.name) for world, _, options in worlds])
    values = pd.DataFrame([v for _, v, _ in worlds], index=[w for w, _, _ in worlds])
    return across_worlds(diffs), dependence(diffs, values, (*HEADLINE_TABLE, "public_cost_per_citizen"))


def _write_comparison(args: argparse.Namespace, root: Path, across: tuple[Any, Any] | None = None,
                      design: Any = None) -> int:
    from crmsim.experiments.analysis import load_results
    from crmsim.experiments.compare import analyse
    from crmsim.experiments.store import StoreError, atomic_write
    from crmsim.viz.compare_report import render_comparison
    from crmsim.viz.folds import PLOTLY_FILE, write_plotly
    from crmsim.viz.overview import overview_png

    try:
        comparison = analyse(load_results(root), design)
    except StoreError as err:
        return _fail(str(err))
    if across is not None:
        comparison.worlds, comparison.dependence = across
    page = render_comparison(comparison, args.scenarios)
    try:
        written = [atomic_write(root / "compare.html", lambda p: p.write_text(page, encoding="utf-8")),
                   atomic_write(root / PLOTLY_FILE, write_plotly),  # the page's charts draw with it
                   atomic_write(root / "compare.csv", lambda p: comparison.table().to_csv(p, index=False)),
                   atomic_write(root / "overview.png", lambda p: overview_png(comparison, p))]
        if across is not None:
            written += [atomic_write(root / "worlds.csv", lambda p: comparison.worlds.to_csv(p, index=False)),
                        atomic_write(root / "dependence.csv", lambda p: comparison.dependence.to_csv(p, index=False))]
    except StoreError as err:  # e.g. a folder where compare.html goes: the runs stay saved
        return _fail(f"{err}; the runs are saved: make room for it and run the same command again")
    print(verdict_table(comparison))
    path = path_table(comparison)
    if path:
        print("\n" + path)
    if across is not None:
        print("\n" + worlds_table(comparison))
    costs = cost_table(comparison)
    if costs:
        print("\n" + costs)
    for path in written:
        print(f"wrote {path}")
    return 0


def verdict_table(comparison: Any) -> str:
    """The terminal's verdicts: every metric for two or three scenarios, else the headline metrics per scenario."""
    from crmsim.experiments.compare import HEADLINE_TABLE, OVERALL, judgement, metric_label
    from crmsim.i18n import _, difference, number
    from crmsim.model.text import text_table

    def cell(scenario: str, metric: str) -> str:
        d = comparison.diff(scenario, metric)
        if d is None or not d["n_pairs"]:
            return "-"
        judged = judgement(metric, d)
        mark = {"unclear": "~", "changed": ""}.get(judged, _(judged))
        return f"{'+' if d['difference'] >= 0 else '-'}{difference(abs(d['difference']))} {mark}".rstrip()

    legend = _("better / worse: the 95% interval of the paired difference lies beyond half the smallest difference "
               "that matters (mean trust 0.01, shares 1 point, redress rates 3 points, EUR 1 a citizen); negligible: "
               "it lies within the smallest difference that matters; ~: unclear")
    others = comparison.labels[1:]
    if len(others) <= 2:
        header = [_("metric"), *comparison.labels, *(f"{o} - {comparison.reference}" for o in others)]
        rows = []
        for metric in OVERALL:
            means = [comparison.mean(s, metric) for s in comparison.labels]
            rows.append([metric_label(metric), *("-" if m is None else number(m["mean"]) for m in means),
                         *(cell(o, metric) for o in others)])
    else:
        header = [_("difference to {reference}").format(reference=comparison.reference),
                  *(metric_label(m) for m in HEADLINE_TABLE)]
        rows = [[o, *(cell(o, m) for m in HEADLINE_TABLE)] for o in others]
    return text_table(header, rows) + "\n" + _("({legend}; {runs}; year {year} after the switch)").format(
        legend=legend, runs=comparison.runs_text(), year=number(comparison.reading_year))


def path_table(comparison: Any) -> str:
    """The terminal's path of each effect: one year after the switch, then the year the verdicts read ('' if the
    runs are a year or shorter)."""
    from crmsim.experiments.compare import HEADLINE_TABLE, metric_label
    from crmsim.i18n import _, difference, number
    from crmsim.model.text import text_table

    if comparison.path.empty or comparison.reading_year <= 1:
        return ""

    def signed(x: float) -> str:
        return f"{'+' if x >= 0 else '-'}{difference(abs(x))}" if x == x else "-"

    def cell(scenario: str, metric: str) -> str:
        d, year1 = comparison.diff(scenario, metric), comparison.path[
            (comparison.path["scenario"] == scenario) & (comparison.path["metric"] == metric)]
        if d is None or year1.empty:
            return "-"
        return f"{signed(year1.iloc[0]['difference'])} → {signed(d['difference'])}"

    header = [_("effect after 1 year → year {year}").format(year=number(comparison.reading_year)),
              *(metric_label(m) for m in HEADLINE_TABLE)]
    rows = [[o, *(cell(o, m) for m in HEADLINE_TABLE)] for o in comparison.labels[1:]]
    return text_table(header, rows)


def worlds_table(comparison: Any) -> str:
    """The terminal's verdicts across worlds: per scenario and headline metric, today's verdict and where it holds."""
    from crmsim.experiments.compare import HEADLINE_TABLE, judgement, metric_label
    from crmsim.i18n import _
    from crmsim.model.text import text_table

    def cell(scenario: str, metric: str) -> str:
        row = comparison.world_row(scenario, metric)
        if row is None:
            return "-"
        single = judgement(metric, comparison.diff(scenario, metric))
        return f"{_(single)} {row['share_' + single]:.0%}"

    header = [_("in how many worlds it holds"), *(metric_label(m) for m in HEADLINE_TABLE)]
    rows = [[o, *(cell(o, m) for m in HEADLINE_TABLE)] for o in comparison.labels[1:]]
    worlds = int(comparison.worlds["worlds"].max())
    return text_table(header, rows) + "\n" + _(
        "(today's verdict, and the share of {n} plausible worlds in which it holds; compare.csv has every metric, "
        "with an interval combining worlds and seeds)").format(n=worlds)


def cost_table(comparison: Any) -> str:
    """The terminal's costs: each scenario's extra public cost and what each priced gain costs (or '' if none)."""
    from crmsim.experiments.cost_effectiveness import LEGEND, PRICED, extra_cost_text, ratio_text, unit_header
    from crmsim.i18n import _
    from crmsim.model.text import text_table

    table = comparison.cost_effect
    if table.empty:
        return ""
    header = [_("extra cost to {reference}").format(reference=comparison.reference), _("euros per citizen per year"),
              *(unit_header(name) for name in PRICED)]
    rows = []
    for scenario, group in table.groupby("scenario", sort=False):
        by_effect = group.set_index("effect")
        rows.append([scenario, extra_cost_text(group.iloc[0]),
                     *(ratio_text(by_effect.loc[name]) if name in by_effect.index else "-" for name in PRICED)])
    return text_table(header, rows) + "\n" + f"({_(LEGEND)})"


# --- report -----------------------------------------------------------------------------------


def report(args: argparse.Namespace) -> int:
    """Handler of ``report``."""
    from crmsim.experiments.store import StoreError

    try:
        from crmsim.viz.report import write_report

        written = write_report(args.results, on_warning=_warn)  # e.g. too few samples for Sobol indices
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
        return _fail(str(err), exits.NO_ANSWER)
    print(outcome)
    return 0
