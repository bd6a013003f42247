"""``crmsim run``: run one or more scenarios and print their final metrics; ``--out`` saves every week's metrics.

Every scenario is read and its model built before any runs, so a bad second
file stops the command before the first has run.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmsim.commands.common import CliError, format_value, load
from crmsim.model.limits import MAX_STEPS
from crmsim.model.text import bounded_int, one_line, text_table
from crmsim.texts import exits
from crmsim.texts.i18n import _, ngettext

if TYPE_CHECKING:
    import pandas as pd

    from crmsim.model.model import CrmModel
    from crmsim.model.scenario import Scenario

__all__ = ["register", "run", "OUT_FORMATS"]

FORMATS = ("table", "json", "csv")
OUT_FORMATS = {".parquet": "Parquet", ".csv": "CSV"}
SEED_MAX = 2**63 - 1


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


def register(subparsers: Any) -> None:
    """Add ``run`` to an argparse subparsers object."""
    p = subparsers.add_parser(
        "run", help="run scenarios and print their final metrics (crmsim run scenarios/faq.toml)",
        description=_RUN_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO.toml", help="scenario file(s), e.g. scenarios/faq.toml")
    p.add_argument("--steps", type=bounded_int(1, MAX_STEPS), metavar="N",
                   help=f"weeks to record after the warm-up (default: the scenario's `steps`, usually 52; "
                        f"at most {MAX_STEPS})")
    p.add_argument("--seed", type=_seed, metavar="S",
                   help="random seed, the same for every scenario (default: each scenario's `seed`)")
    p.add_argument("--out", type=_out_file, metavar="FILE",
                   help="write the metrics at every step to FILE: .parquet or .csv, one row per scenario and "
                        "week, led by its scenario, policy and seed (Parquet also keeps each metric's label, unit "
                        "and direction)")
    p.add_argument("--format", choices=FORMATS, default="table",
                   help="how to print the final metrics: a table for people (default), or json or csv for "
                        "scripts (NaN is null in json, empty in csv)")
    p.set_defaults(handler=run)


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to {SEED_MAX} (got {value})")
    return value


def _out_file(text: str) -> Path:
    path = Path(text)
    suffix = path.suffix.lower()
    if suffix not in OUT_FORMATS:
        shown = repr(suffix) if suffix else "none"
        raise argparse.ArgumentTypeError(
            f"{text}: unknown file type (extension {shown}); use .parquet or .csv")
    return path


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
    policy = " + ".join(spec.policies) or _("none (baseline levers)")
    lead = _("scenario {index}: {name}").format(index=index, name=spec.name) if index is not None else \
        _("scenario {name}").format(name=spec.name)
    return one_line(_("{lead} ({path}): policy {policy}, {citizens} citizens, {steps} steps after a {warmup}-week "
                      "warm-up, seed {seed}").format(lead=lead, path=path, policy=policy, citizens=model.n_citizens,
                                                     steps=steps, warmup=spec.warmup, seed=spec.seed))


def reading(runs: list[tuple[int, int]]) -> str:
    """What the figures after a run are, for runs of ``(policy weeks, weeks the yearly window covers)``.

    Levels (trust, knowledge) are the state in the last week; rates, counts
    and costs are yearly, read over the last 52 weeks (``model.metrics``, the
    model's ``YearLedger``: fewer if the model has not run that long), so
    after fewer than 52 policy weeks they still count weeks from before the
    policy.
    """
    from crmsim.model.phases.state import WINDOW

    if len(set(runs)) > 1:
        return _("Final figures after each scenario's policy weeks (above); levels are those of the last week, "
                 "rates, counts and costs are yearly, over the last {window} weeks.").format(window=WINDOW)
    (weeks, window), = set(runs)
    text = ngettext("Final figures after {weeks} policy week: levels (trust, knowledge) are those of the last week; "
                    "rates, counts and costs are yearly, read over the last {window} weeks.",
                    "Final figures after {weeks} policy weeks: levels (trust, knowledge) are those of the last week; "
                    "rates, counts and costs are yearly, read over the last {window} weeks.",
                    weeks).format(weeks=weeks, window=window)
    if window > weeks:
        text += " " + _("Of those {window} weeks, {before} came before the policy switched on: use --steps {year} or "
                        "more to read a year of the policy alone.").format(window=window, before=window - weeks,
                                                                          year=WINDOW)
    return text


def _labels(names: list[str]) -> list[str]:
    """Column labels: the scenario names, numbered when two are the same."""
    if len(set(names)) == len(names):
        return names
    return [f"{i}:{name}" for i, name in enumerate(names, start=1)]


def _write(table: "pd.DataFrame", out: Path) -> None:
    """The weekly metrics to ``out``: Parquet carries each metric's label, unit and direction in its schema."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".parquet":
            from crmsim.experiments.described import write_described_parquet

            write_described_parquet(table, out)
        else:
            table.to_csv(out, index=False)
    except OSError as err:
        raise CliError(f"cannot write {out}: {err.strerror or err}") from None


def run(args: argparse.Namespace) -> int:
    """Handler of ``run``."""
    import pandas as pd

    # Check every scenario and build every model before running any.
    scenarios = [(path, load(path, args.seed)) for path in args.scenarios]
    models = [(path, _build(path, scenario)) for path, scenario in scenarios]

    names, series, finals, weeks = [], [], [], []
    several = len(models) > 1
    for index, (path, model) in enumerate(models, start=1):
        steps = args.steps or model.spec.steps
        series.append(model.run(steps))
        finals.append(model.final_metrics())
        names.append(one_line(model.spec.name) or "(unnamed)")
        weeks.append((steps, model.ledger.weeks))
        if args.format == "table":
            print(_header(index if several else None, path, model, steps))

    labels = _labels(names)
    if args.format == "table":
        print("\n" + reading(weeks))
    print(_final_metrics(labels, finals, args.format), end="")

    if args.out is not None:
        table = pd.concat([_identified(s, label, model) for s, label, (_path, model) in zip(series, labels, models)],
                          ignore_index=True)
        _write(table, args.out)
        done = _("wrote {rows} rows ({kind}) to {file}").format(rows=len(table), kind=OUT_FORMATS[args.out.suffix.lower()],
                                                             file=args.out)
        if args.format == "table":
            print(f"\n{done}")
        else:  # stdout carries the data for a script; the note goes to stderr
            print(done, file=sys.stderr)
    return exits.OK


def _identified(series: "pd.DataFrame", label: str, model: "CrmModel") -> "pd.DataFrame":
    """A run's weekly metrics led by what identifies the run: its scenario, its policy and its seed."""
    spec = model.spec
    ids = {"scenario": label, "policy": " + ".join(spec.policies), "seed": spec.seed}
    return series.assign(**ids)[[*ids, *series.columns]]


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
        header = [_("metric"), *labels]
        if len(finals) == 2:
            header.append(_("change (2 - 1)"))
        rows = []
        for metric in METRICS:
            row = [metric, *(format_value(final[metric]) for final in finals)]
            if len(finals) == 2:
                row.append(format_value(finals[1][metric] - finals[0][metric], signed=True))
            rows.append(row)
    else:
        header = [_("metric"), _("value")]
        rows = [[metric, format_value(finals[0][metric])] for metric in METRICS]
    table = "\n" + _with_meanings(text_table(header, rows), list(METRICS)) + "\n"
    if len(finals) > 1:
        table += _("(one run each, on the same seed: for differences with their uncertainty, use crmsim compare "
                   "A.toml B.toml)") + "\n"
    return table


def _with_meanings(table: str, metrics: list[str]) -> str:
    """Each row of a metrics table followed by what the metric is, its unit and which way is better."""
    from crmsim.model.metrics import INFO

    header, *rows = table.splitlines()
    width = max(len(line) for line in table.splitlines())
    meanings = [f"{_(INFO[m].label)} ({_(INFO[m].unit)}, {_(INFO[m].better)})" for m in metrics]
    return "\n".join([header.ljust(width) + "  " + _("meaning"),
                      *(row.ljust(width) + "  " + meaning for row, meaning in zip(rows, meanings))])
