"""The ``crmsim`` command: run scenarios, validate scenario files, list policies.

Usage examples::

    crmsim run scenarios/faq.toml --steps 20 --out faq.parquet
    crmsim run scenarios/calibrated_baseline.toml scenarios/full_mediation.toml
    crmsim validate scenarios/*.toml
    crmsim policies

Every mistake in the input (a bad scenario file, an unreadable network file, a
bad option) ends with exit code 2 and one line on stderr, never a traceback.
:func:`main` returns the exit code instead of exiting, so it can be called from
Python and tests: ``main(["validate", "scenarios/faq.toml"])``.

The model is imported only when a command needs it, so ``crmsim --help`` is
instant.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from crmsim import exits
from crmsim.model.limits import MAX_STEPS
from crmsim.i18n import LANGUAGES, language, locale_language
from crmsim.model.text import bounded_int, one_line, text_table

if TYPE_CHECKING:
    import pandas as pd

    from crmsim.calibration.targets import CalibrationSpec
    from crmsim.model.model import CrmModel
    from crmsim.model.scenario import Scenario

__all__ = ["main", "build_parser", "OUT_FORMATS"]

PROG = "crmsim"
EXIT_OK, EXIT_USAGE = exits.OK, exits.USAGE
FORMATS = ("table", "json", "csv")
OUT_FORMATS = {".parquet": "Parquet", ".csv": "CSV"}
SEED_MAX = 2**63 - 1



class CliError(Exception):
    """A command that cannot go on; the message is one line for a person, ``code`` its exit code
    (:mod:`crmsim.exits`: bad input unless said otherwise)."""

    def __init__(self, message: str, code: int = exits.USAGE) -> None:
        super().__init__(message)
        self.code = code


# -- argument parsing ----------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are one line on stderr, exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {one_line(message)} (see: {self.prog} --help)\n")


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to {SEED_MAX} (got {value})")
    return value


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 1 (got {text})")
    return value


def _out_file(text: str) -> Path:
    path = Path(text)
    suffix = path.suffix.lower()
    if suffix not in OUT_FORMATS:
        shown = repr(suffix) if suffix else "none"
        raise argparse.ArgumentTypeError(
            f"{text}: unknown file type (extension {shown}); use .parquet or .csv")
    return path


_DESCRIPTION = """\
Agent-based simulation of Citizen Relationship Management: citizens,
prescribers and administrations under mediation policies.

examples:
  crmsim run scenarios/faq.toml --steps 20 --out faq.parquet
  crmsim run scenarios/calibrated_baseline.toml scenarios/full_mediation.toml
  crmsim validate scenarios/*.toml
  crmsim policies
  crmsim warmup scenarios/calibrated_baseline.toml
  crmsim compare scenarios/calibrated_baseline.toml scenarios/redress_procedure.toml
  crmsim sweep experiments/paper_question.toml && crmsim report results/paper_question/
  crmsim discover results/discovery/ --where "lost_users < 0.23"
  crmsim frontier experiments/frontier.toml
  crmsim calibrate calibration/targets.toml
  crmsim viz
  crmsim --lang fr explain scenarios/faq.toml
"""

_RUN_DESCRIPTION = """\
Run one scenario and print its final metrics, or run several and print their
final metrics side by side (one column per scenario; with two, a last column
gives the change from the first to the second). NaN ("n/a") means a rate with
nothing to count, e.g. redress success when nobody contested.

examples:
  crmsim run scenarios/faq.toml --steps 20 --out faq.parquet
  crmsim run scenarios/calibrated_baseline.toml scenarios/full_mediation.toml
  crmsim run scenarios/digital_first.toml --seed 7 --out results/digital_first.csv
"""

_VALIDATE_DESCRIPTION = """\
Check scenario (or experiment, or frontier) files without running them: print "ok FILE" for each good one,
or one line naming the file, the field and what is allowed. Exit code 2 if
any file failed.

example:
  crmsim validate scenarios/*.toml
"""

_WARMUP_DESCRIPTION = """\
Measure how many weeks a scenario takes to settle, to choose its `warmup`.
Runs the scenario from its initial state (no warm-up) for --years years,
--reps times, averages trust and knowledge metrics across runs week by week,
smooths them over 13 weeks and prints, for each, the week after which it stays
within --tolerance of its level over the last 3 years, or within twice its own
week-to-week wobble there if that is wider (Welch's procedure).

example:
  crmsim warmup scenarios/calibrated_baseline.toml --years 10 --reps 10
"""

_CALIBRATE_DESCRIPTION = """\
Fit the baseline's free parameters to published figures by ABC-SMC (pyabc).
The targets file names the base scenario, the free parameters with their
priors, and the figures with their tolerance and source (see
calibration/targets.toml). One line per generation shows epsilon (the distance
of the runs kept, in tolerances), the acceptance rate, simulations so far and
time. Everything goes under --out/<name>/: pyabc's history.db (so a stopped
calibration resumes with --resume), the posterior, the posterior predictive
check, calibrated_baseline.toml and report.html (offline). A calibration saved
there with other inputs or by another model is never reused: --fresh discards
it and starts again.

examples:
  crmsim calibrate calibration/targets.toml
  crmsim calibrate calibration/targets.toml --resume
  crmsim calibrate calibration/targets.toml --dask local
  crmsim calibrate calibration/targets.toml --dask tcp://10.0.0.5:8786
  crmsim calibrate calibration/targets.toml --leave-one-out --particles 100 --generations 5

--leave-one-out refits once per target with that target left out and predicts
it from the others (--out/<name>_without_<target>/ each, the table in
--out/<name>_leave_one_out/leave_one_out.csv): a prediction inside the
tolerance means the other figures constrain it. Refits already saved are
reused if they were made from these inputs by today's model, refused
otherwise; with --fresh every refit is made again.
"""

_POLICIES_DESCRIPTION = """\
List every mediation policy: what it does, the paper section it comes from,
and the levers it sets (a composite lists the policies it combines and the
levers that result). Use the name as `policy = "..."` in a scenario file.

example:
  crmsim policies
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``crmsim`` argument parser (``run``, ``validate``, ``warmup``, ``policies``, and ``sweep``, ``report``, ``rerun``)."""
    parser = _Parser(prog=PROG, description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=_version(),
                        help="print crmsim's version (and Mesa's) and exit")
    parser.add_argument("--lang", choices=LANGUAGES, metavar="en|fr",
                        help="language of verdicts, reports and pages (default: from the locale, LANG=fr_FR.UTF-8 "
                             "gives French; else English)")
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND", parser_class=_Parser)

    run = commands.add_parser(
        "run", help="run scenarios and print their final metrics (crmsim run scenarios/faq.toml)",
        description=_RUN_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("scenarios", nargs="+", metavar="SCENARIO.toml", help="scenario file(s), e.g. scenarios/faq.toml")
    run.add_argument("--steps", type=bounded_int(1, MAX_STEPS), metavar="N",
                     help=f"weeks to record after the warm-up (default: the scenario's `steps`, usually 52; "
                          f"at most {MAX_STEPS})")
    run.add_argument("--seed", type=_seed, metavar="S",
                     help="random seed, the same for every scenario (default: each scenario's `seed`)")
    run.add_argument("--out", type=_out_file, metavar="FILE",
                     help="write the metrics at every step to FILE: .parquet or .csv "
                          "(several scenarios: one table with a `scenario` column)")
    run.add_argument("--format", choices=FORMATS, default="table",
                     help="how to print the final metrics: a table for people (default), or json or csv for "
                          "scripts (NaN is null in json, empty in csv)")
    run.set_defaults(handler=_cmd_run)

    validate = commands.add_parser(
        "validate", help="check scenario files (crmsim validate scenarios/*.toml)",
        description=_VALIDATE_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    validate.add_argument("files", nargs="+", metavar="FILE", help="scenario file(s) to check")
    validate.set_defaults(handler=_cmd_validate)

    warmup = commands.add_parser(
        "warmup", help="measure how many weeks a scenario takes to settle (crmsim warmup scenarios/faq.toml)",
        description=_WARMUP_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    warmup.add_argument("scenario", metavar="SCENARIO.toml", help="scenario file, e.g. scenarios/calibrated_baseline.toml")
    warmup.add_argument("--years", type=bounded_int(4, 200), default=10, metavar="N",
                        help="years to run from the initial state (default: 10; 4 to 200)")
    warmup.add_argument("--reps", type=bounded_int(1, 1000), default=10, metavar="N",
                        help="runs to average, each with its own seed (default: 10; at most 1000)")
    warmup.add_argument("--tolerance", type=_tolerance, default=0.005, metavar="X",
                        help="how close to its long-run level a metric must stay (default: 0.005)")
    warmup.set_defaults(handler=_cmd_warmup)

    calibrate = commands.add_parser(
        "calibrate", help="fit the baseline to published figures by ABC-SMC (crmsim calibrate calibration/targets.toml)",
        description=_CALIBRATE_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    calibrate.add_argument("targets", metavar="TARGETS.toml", help="targets file, e.g. calibration/targets.toml")
    calibrate.add_argument("--resume", action="store_true", help="go on with a stopped calibration in --out")
    calibrate.add_argument("--fresh", action="store_true",
                           help="discard the calibration saved in --out (with --leave-one-out: every refit and "
                                "the table) and start again, e.g. after the model or the inputs changed")
    engine = calibrate.add_mutually_exclusive_group()
    engine.add_argument("--dask", metavar="local|tcp://HOST:PORT",
                        help="run the simulations on Dask: 'local' starts a LocalCluster on 127.0.0.1, an address "
                             "joins a running scheduler")
    engine.add_argument("--workers", type=bounded_int(1, 4096), metavar="N",
                        help="local processes (default: one per core); 1 makes the fit reproducible, the same every time")
    calibrate.add_argument("--out", default="results/calibration", metavar="DIR",
                           help="where the calibration's folder goes (default: results/calibration/)")
    calibrate.add_argument("--leave-one-out", action="store_true",
                           help="refit once per target without it, and predict it from the others")
    calibrate.add_argument("--particles", type=bounded_int(10, 100_000), metavar="N",
                           help="particles a generation, instead of the targets file's population_size")
    calibrate.add_argument("--generations", type=bounded_int(1, 100), metavar="N",
                           help="at most this many generations, instead of the targets file's max_generations")
    calibrate.add_argument("--quiet", action="store_true", help="no progress lines")
    calibrate.set_defaults(handler=_cmd_calibrate)

    policies = commands.add_parser(
        "policies", help="list the mediation policies and their levers (crmsim policies)",
        description=_POLICIES_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    policies.set_defaults(handler=_cmd_policies)

    from crmsim.experiments.commands import register  # sweep, report, rerun
    from crmsim.experiments.discover_command import register as register_discover  # discover

    register(commands)
    register_discover(commands)
    from crmsim.experiments.frontier_command import register as register_frontier; register_frontier(commands)  # noqa: E702
    from crmsim.calibration.worlds_command import register as register_worlds; register_worlds(commands)  # noqa: E702
    from crmsim.calibration.patterns_command import register as register_patterns; register_patterns(commands)  # noqa: E702,E501
    from crmsim.viz.serve import register as register_viz; register_viz(commands)  # noqa: E702  viz
    from crmsim.workshop import register as register_workshop; register_workshop(commands)  # noqa: E702  new-scenario, explain
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    def of(package: str) -> str:
        try:
            return version(package)
        except PackageNotFoundError:
            return "not installed"

    return f"{PROG} {of('crmsim')} (mesa {of('mesa')}, Python {sys.version.split()[0]})"


# -- formatting ----------------------------------------------------------------------------------
def format_value(value: Any, signed: bool = False) -> str:
    """A metric as printed: 4 decimals (tiny or huge values in e-notation), NaN as ``n/a``."""
    if value is None:
        return "n/a"
    x = float(value)
    if math.isnan(x):
        return "n/a"
    sign = "+" if signed else ""
    if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e9):
        return f"{x:{sign}.3e}"
    return f"{x:{sign}.4f}"


def _toml_value(value: Any) -> str:
    """A lever value as it is written in a scenario file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value) if isinstance(value, float) else str(value)


# -- commands ------------------------------------------------------------------------------------
def _load(path: str, seed: int | None) -> "Scenario":
    from crmsim.model.scenario import load_scenario

    scenario = load_scenario(path)
    if seed is not None:
        scenario = scenario.with_values({"seed": seed}, source=path)
    return scenario


def _build(path: str, scenario: "Scenario") -> "CrmModel":
    from crmsim.model.model import CrmModel
    from crmsim.model.network import NetworkFileError
    from crmsim.model.sizing import memory_problem

    if scenario.network.topology != "file":  # a file's size is its own: `crmsim validate` checks it after reading
        problem = memory_problem(scenario.flat())
        if problem is not None:
            raise CliError(f"{path}: {problem}")
    try:
        return CrmModel(scenario)
    except NetworkFileError as err:
        raise CliError(f"{path}: network.network_file: {err}") from None
    except ValueError as err:  # e.g. a complete network too large for memory
        raise CliError(f"{path}: cannot build the model: {err}") from None


def _header(index: int | None, path: str, model: "CrmModel", steps: int) -> str:
    spec = model.spec
    policy = " + ".join(spec.policies) or "none (baseline levers)"
    lead = f"scenario {index}: " if index is not None else "scenario "
    return one_line(f"{lead}{spec.name} ({path}): policy {policy}, {model.n_citizens} citizens, "
                    f"{steps} steps after a {spec.warmup}-week warm-up, seed {spec.seed}")


def _labels(names: list[str]) -> list[str]:
    """Column labels: the scenario names, numbered when two are the same."""
    if len(set(names)) == len(names):
        return names
    return [f"{i}:{name}" for i, name in enumerate(names, start=1)]


def _write(table: "pd.DataFrame", out: Path) -> None:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".parquet":
            table.to_parquet(out, index=False)
        else:
            table.to_csv(out, index=False)
    except OSError as err:
        raise CliError(f"cannot write {out}: {err.strerror or err}") from None


def _cmd_run(args: argparse.Namespace) -> int:
    import pandas as pd

    # Check every scenario and build every model before running any.
    scenarios = [(path, _load(path, args.seed)) for path in args.scenarios]
    models = [(path, _build(path, scenario)) for path, scenario in scenarios]

    names, series, finals = [], [], []
    several = len(models) > 1
    for index, (path, model) in enumerate(models, start=1):
        steps = args.steps or model.spec.steps
        series.append(model.run(steps))
        finals.append(model.final_metrics())
        names.append(one_line(model.spec.name) or "(unnamed)")
        if args.format == "table":
            print(_header(index if several else None, path, model, steps))

    labels = _labels(names)
    print(_final_metrics(labels, finals, args.format), end="")

    if args.out is not None:
        if several:
            table = pd.concat([s.assign(scenario=label) for s, label in zip(series, labels)], ignore_index=True)
            table = table[["scenario", *(c for c in table.columns if c != "scenario")]]
        else:
            table = series[0]
        _write(table, args.out)
        done = f"wrote {len(table)} rows ({OUT_FORMATS[args.out.suffix.lower()]}) to {args.out}"
        if args.format == "table":
            print(f"\n{done}")
        else:  # stdout carries the data for a script; the note goes to stderr
            print(done, file=sys.stderr)
    return EXIT_OK


def _final_metrics(labels: list[str], finals: list[dict[str, float]], fmt: str) -> str:
    """The final metrics of one or more scenarios, as text in ``fmt`` (table, json or csv), ending with a newline.

    A table is for people: one column per scenario and, with two, their change.
    JSON is ``{"scenarios": [{"name": ..., "metrics": {...}}]}`` with NaN as null;
    CSV has one row per metric and one column per scenario, NaN left empty.
    """
    import io
    import json

    from crmsim.model.metrics import METRICS

    if fmt == "json":
        scenarios = [{"name": label, "metrics": {m: (None if math.isnan(v := float(final[m])) else v)
                                                 for m in METRICS}}
                     for label, final in zip(labels, finals)]
        return json.dumps({"scenarios": scenarios}, indent=2) + "\n"
    if fmt == "csv":
        import csv

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["metric", *labels])
        for metric in METRICS:
            writer.writerow([metric, *("" if math.isnan(float(f[metric])) else repr(float(f[metric]))
                                       for f in finals)])
        return buffer.getvalue()
    if len(finals) > 1:
        header = ["metric", *labels]
        if len(finals) == 2:
            header.append("change (2 - 1)")
        rows = []
        for metric in METRICS:
            row = [metric, *(format_value(final[metric]) for final in finals)]
            if len(finals) == 2:
                row.append(format_value(finals[1][metric] - finals[0][metric], signed=True))
            rows.append(row)
    else:
        header = ["metric", "value"]
        rows = [[metric, format_value(finals[0][metric])] for metric in METRICS]
    table = "\n" + _with_meanings(text_table(header, rows), list(METRICS)) + "\n"
    if len(finals) > 1:
        from crmsim.i18n import _

        table += _("(one run each, on the same seed: for differences with their uncertainty, use crmsim compare "
                   "A.toml B.toml)") + "\n"
    return table


def _with_meanings(table: str, metrics: list[str]) -> str:
    """Each row of a metrics table followed by what the metric is, its unit and which way is better."""
    from crmsim.i18n import _
    from crmsim.model.metrics import INFO

    header, *rows = table.splitlines()
    width = max(len(line) for line in table.splitlines())
    meanings = [f"{_(INFO[m].label)} ({_(INFO[m].unit)}, {_(INFO[m].better)})" for m in metrics]
    return "\n".join([header.ljust(width) + "  " + _("meaning"),
                      *(row.ljust(width) + "  " + meaning for row, meaning in zip(rows, meanings))])


# Fields only an experiment file has; a scenario file has none of them.
_EXPERIMENT_FIELDS = frozenset({"scenario", "design", "vary", "set", "replications", "outputs"})


def _file_kind(path: str) -> str:
    """"frontier" for a file with a ``[search]`` table; "experiment" for one with any other experiment-only field
    (``scenario``, ``vary``, ``design`` ...); "scenario" otherwise.

    ``[design]`` is optional in an experiment (a full factorial by default), so
    it cannot be the mark. Anything unreadable is left to the scenario reader,
    which reports it.
    """
    from crmsim.model.scenario import ScenarioError
    from crmsim.model.text import read_toml

    try:
        data = read_toml(Path(path), "scenario or experiment file", ScenarioError)
    except ScenarioError:
        return "scenario"
    if not isinstance(data, dict):
        return "scenario"
    if "search" in data:
        return "frontier"
    return "scenario" if _EXPERIMENT_FIELDS.isdisjoint(data) else "experiment"


def _cmd_validate(args: argparse.Namespace) -> int:
    from crmsim.experiments.frontier import load_frontier
    from crmsim.experiments.spec import SpecError, load_experiment
    from crmsim.model.scenario import ScenarioError, check_runnable

    readers = {"frontier": load_frontier, "experiment": load_experiment, "scenario": check_runnable}
    failed = 0
    for path in args.files:
        try:
            readers[_file_kind(path)](path)
        except (ScenarioError, SpecError) as err:
            failed += 1
            print(one_line(err), file=sys.stderr)
        else:
            print(one_line(f"ok {path}"))
    return EXIT_USAGE if failed else EXIT_OK


def _cmd_warmup(args: argparse.Namespace) -> int:
    from crmsim.experiments.warmup import WEEKS_PER_YEAR, settling

    tail_years = 3
    if args.years <= tail_years:
        raise CliError(f"--years: got {args.years}; allowed: at least {tail_years + 1} (the last {tail_years} "
                       f"years give the long-run level)")
    scenario = _load(args.scenario, None)
    print(one_line(f"scenario {scenario.name} ({args.scenario}): {args.reps} runs of {args.years} years from the "
                   f"initial state, no warm-up"), flush=True)
    rows = settling(scenario, years=args.years, replications=args.reps, tolerance=args.tolerance,
                    tail_years=tail_years, seed=scenario.seed,
                    on_run=lambda r: print(f"  run {r + 1} of {args.reps} done", file=sys.stderr, flush=True))
    limit = (args.years - tail_years) * WEEKS_PER_YEAR
    table = [[r.metric, format_value(r.start), format_value(r.steady), f"±{format_value(r.band)}",
              "not settled" if r.settled_week >= limit else str(r.settled_week)] for r in rows]
    print()
    print(text_table(["metric", "week 0", "long run", "within", "settled by week"], table))
    slowest = max(r.settled_week for r in rows)
    print()
    if slowest >= limit:
        print(f"some metric had not settled {limit} weeks in: run longer (--years), or loosen --tolerance")
    else:
        print(f"the slowest metric settles by week {slowest}: use warmup >= {slowest} "
              f"(this scenario's warmup: {scenario.warmup})")
    return EXIT_OK


def _cmd_calibrate(args: argparse.Namespace) -> int:
    import contextlib

    from crmsim.calibration.fit import DASK_BATCH, CalibrationError, calibrate, discard
    from crmsim.calibration.targets import TargetsError, load_targets
    from crmsim.experiments.evaluators.base import EvaluatorError
    from crmsim.experiments.evaluators.dask import DaskEvaluator, address_problem
    from crmsim.experiments.evaluators.processes import available_cores
    from crmsim.experiments.interrupt import Terminated, sigterm_as_interrupt
    from crmsim.experiments.limits import cap_workers

    try:
        spec = load_targets(args.targets)
    except TargetsError as err:
        raise CliError(str(err)) from None
    spec = _with_abc_overrides(spec, args)
    if args.dask is not None and (problem := address_problem(args.dask)) is not None:
        raise CliError(f"--dask: {problem}")
    if args.fresh and args.resume:
        raise CliError("--fresh: not with --resume; allowed: one of the two (--fresh discards the saved calibration)")
    if args.leave_one_out:
        from crmsim.calibration.crossvalidate import check_targets

        try:
            check_targets(spec)  # before any engine starts
        except CalibrationError as err:
            raise CliError(str(err)) from None
    say = (lambda text: None) if args.quiet else (lambda text: print(text, flush=True))
    folder = Path(args.out) / spec.name
    say(one_line(f"calibration {spec.name} ({args.targets}): {len(spec.priors)} parameters, {len(spec.targets)} "
                 f"targets, {spec.abc.population_size} particles a generation, up to "
                 f"{spec.abc.max_generations} generations, into {folder}/"))
    with contextlib.ExitStack() as stack:
        import logging

        import pyabc

        logging.getLogger("ABC").setLevel(logging.WARNING)  # pyabc logs each step; the lines above replace it

        if args.dask is not None:
            try:
                evaluator = stack.enter_context(DaskEvaluator(args.dask))
            except EvaluatorError as err:
                raise CliError(f"--dask: {err}", exits.ENGINE) from None
            sampler = pyabc.sampler.DaskDistributedSampler(dask_client=evaluator.client, batch_size=DASK_BATCH)
            say(f"on {evaluator.describe()}")
        else:
            workers, warning = cap_workers(args.workers, available_cores())
            if warning:
                print(f"{PROG}: warning: {warning}", file=sys.stderr)
            # On one core, pyabc's proposals come from our own Generator (calibration.draws):
            # the same file gives the same fit.
            sampler = pyabc.sampler.SingleCoreSampler() if workers == 1 else \
                pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers or available_cores())
        if args.leave_one_out:
            return _leave_one_out(spec, args, sampler, say)
        try:
            if args.fresh:
                discard(folder)
            with sigterm_as_interrupt():
                calibrate(spec, args.out, sampler, resume=args.resume, on_generation=lambda g: say(g.line()),
                          on_predictive=lambda i: i + 1 == spec.abc.predictive_draws and say(
                              f"posterior predictive: {i + 1} runs done"))
        except CalibrationError as err:
            raise CliError(str(err), _calibration_exit(err)) from None
        except KeyboardInterrupt as err:  # Ctrl-C or SIGTERM: the lock is released, the finished generations kept
            what = "stopped by SIGTERM" if isinstance(err, Terminated) else "interrupted"
            print(f"\n{PROG}: {what}: the finished generations are saved; continue with the same command and "
                  f"--resume", file=sys.stderr)
            return exits.TERMINATED if isinstance(err, Terminated) else exits.INTERRUPTED
    _print_fit(folder, say)
    return EXIT_OK


def _calibration_exit(err: Exception) -> int:
    """A calibration that ran and fitted nothing has no answer (4); any other refusal is bad input (2)."""
    from crmsim.calibration.fit import NothingFitted

    return exits.NO_ANSWER if isinstance(err, NothingFitted) else exits.USAGE


def _with_abc_overrides(spec: "CalibrationSpec", args: argparse.Namespace) -> "CalibrationSpec":
    """The targets file with --particles and --generations in place of its ABC settings."""
    import dataclasses

    changes = {key: value for key, value in (("population_size", args.particles),
                                             ("max_generations", args.generations)) if value is not None}
    return dataclasses.replace(spec, abc=spec.abc.model_copy(update=changes)) if changes else spec


def _leave_one_out(spec: "CalibrationSpec", args: argparse.Namespace, sampler: Any, say) -> int:
    import time

    from crmsim.calibration.crossvalidate import leave_one_out
    from crmsim.calibration.fit import CalibrationError

    started = time.monotonic()
    try:  # one sampler serves every refit: each calibration stops it on the way out, and it starts again
        table = leave_one_out(spec, args.out, lambda: sampler, fresh=args.fresh, say=say)
    except CalibrationError as err:
        raise CliError(str(err), _calibration_exit(err)) from None
    rows = [[r.left_out, f"{r.value:g} +- {r.tolerance:g}", f"{r.predicted_median:.3f}",
             f"{r.predicted_low:.3f} to {r.predicted_high:.3f}", f"{r.miss_in_tolerances:+.2f}",
             "yes" if r.within_tolerance else "NO"] for r in table.itertuples()]
    say("")
    say(text_table(["left out", "figure", "predicted", "90% interval", "miss (tolerances)", "within"], rows))
    say(f"\n{len(table)} refits in {(time.monotonic() - started) / 60:.1f} min; wrote "
        f"{Path(args.out) / (spec.name + '_leave_one_out') / 'leave_one_out.csv'}")
    return EXIT_OK


def _print_fit(folder: Path, say) -> None:
    import pandas as pd

    fits = pd.read_csv(folder / "fit.csv")
    rows = [[r.target, f"{r.value:g} +- {r.tolerance:g}", f"{r.predictive_median:.3f}",
             f"{r.predictive_low:.3f} to {r.predictive_high:.3f}", "yes" if r.within_tolerance else "NO"]
            for r in fits.itertuples()]
    say("")
    say(text_table(["target", "figure", "model", "90% interval", "within"], rows))
    say("")
    say(f"wrote {folder}/: report.html, calibrated_baseline.toml, posterior.parquet, predictive.parquet, fit.csv, "
        f"parameters.csv, generations.csv, history.db")


def _set_levers(name: str) -> list[str]:
    """The levers a policy sets, its included policies' first, in table order."""
    from crmsim.model.policies import POLICIES

    policy = POLICIES[name]
    names: list[str] = []
    for inc in policy.includes:
        names += [lever for lever in _set_levers(inc) if lever not in names]
    names += [lever for lever in policy.levers if lever not in names]
    return names


def _cmd_policies(args: argparse.Namespace) -> int:
    from crmsim.model.policies import POLICIES, apply_policies, lever_defaults

    baseline = lever_defaults()
    blocks = []
    for policy in POLICIES.values():
        kind = ", composite" if policy.includes else ""
        lines = [f"{policy.name}  (paper {policy.paper}{kind})", f"    {policy.summary}"]
        if policy.includes:
            lines.append(f"    includes: {', '.join(policy.includes)}")
        values = apply_policies([policy.name])
        levers = _set_levers(policy.name)
        if not levers:
            lines.append("    levers: all at their baseline values")
        else:
            width = max(len(f"{lever} = {_toml_value(values[lever])}") for lever in levers)
            for lever in levers:
                setting = f"{lever} = {_toml_value(values[lever])}"
                lines.append(f"    {setting.ljust(width)}  (baseline {_toml_value(baseline[lever])})")
        blocks.append("\n".join(lines))
    print("\n\n".join(blocks))
    return EXIT_OK


# -- entry point ---------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``crmsim`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, or a usage error already printed on one line
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    if args.command is None:  # plain `crmsim`: say what it can do
        parser.print_help()
        return EXIT_OK

    from crmsim.model.network import NetworkFileError
    from crmsim.model.scenario import ScenarioError

    try:
        with language(args.lang or locale_language()):
            return args.handler(args)
    except (CliError, ScenarioError, NetworkFileError) as err:
        print(f"{PROG}: error: {one_line(err)}", file=sys.stderr)
        return err.code if isinstance(err, CliError) else EXIT_USAGE
    except BrokenPipeError:  # e.g. `crmsim policies | head`: stop quietly
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1
    except KeyboardInterrupt:
        return 130
