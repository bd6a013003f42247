"""``crmsim compare``: scenario files run on the same seeds, each set beside the first with verdicts.

    crmsim compare REF.toml OTHER.toml ... [--reps N | --budget N] [--worlds N] [engine options]

Runs every file with the same replicate seeds (common random numbers), adding
paired runs in looks of five until every headline verdict is decided or the
budget is spent (or exactly ``--reps``), then writes compare.html,
compare.csv and overview.png and prints the verdicts, the path of each
effect, the costs and, with ``--worlds``, where each verdict holds across
plausible worlds. Runs already saved for the same files are reused.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from crmsim.commands.common import WORLDS_FILE, fail, say, warn
from crmsim.commands.engine import discard_saved, engine_options, run_experiments
from crmsim.model.limits import MAX_STEPS
from crmsim.model.text import bounded_int
from crmsim.texts.i18n import _, ngettext

__all__ = ["register", "compare", "verdict_table", "path_table", "worlds_table", "cost_table"]

FIRST_LOOK = 5  # a sequential comparison looks after every 5 paired runs per scenario
DEFAULT_BUDGET = 40  # ... up to this many (docs/ODD.md, "Verdicts decided as runs come in")


def register(subparsers: Any) -> None:
    """Add ``compare`` to an argparse subparsers object."""
    from crmsim.model.countries import available

    p = subparsers.add_parser(
        "compare", help="run scenario files with the same seeds and compare them with 95%% intervals "
                        "(crmsim compare scenarios/calibrated_baseline.toml scenarios/redress_procedure.toml)",
        description="Run every scenario file with the same replicate seeds (common random numbers: replicate r of "
                    "every file shares its population, network and warm-up), adding paired runs five at a time "
                    "until every headline verdict is decided or --budget is spent (or exactly --reps runs), then "
                    "compare each file with the first: means with 95% intervals, paired differences, a verdict per "
                    "metric, the effect after one year, costs, bands over time and who gains and who loses by "
                    "digital skill. Writes compare.html (offline), compare.csv and overview.png, and prints the "
                    "verdicts. Runs already saved for the same files are reused.",
        epilog="examples:\n  crmsim compare scenarios/calibrated_baseline.toml scenarios/redress_procedure.toml\n"
               "  crmsim compare scenarios/calibrated_baseline.toml scenarios/faq.toml scenarios/public_qa.toml "
               "--reps 50\n  crmsim --lang fr compare scenarios/calibrated_baseline.toml scenarios/digital_first.toml\n"
               "  crmsim compare scenarios/calibrated_baseline.toml scenarios/funded_prescribers.toml --country dk",
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
    engine_options(p)
    p.add_argument("--out", default="results/compare", metavar="DIR",
                   help="where the comparison's folder goes (default: results/compare/)")
    p.add_argument("--fresh", action="store_true",
                   help="discard runs saved by an earlier comparison of these files (e.g. after editing one)")
    p.add_argument("--country", metavar="CODE",
                   help=f"run every file in this country: its published indicators (scenarios/countries/CODE.toml) "
                        f"replace the country a file names, its other values kept; one of {', '.join(available())}")
    p.add_argument("--worlds", type=bounded_int(1, 10_000), metavar="N",
                   help="also compare the files in each of the first N plausible worlds (crmsim worlds) and say in "
                        "how many each verdict holds, e.g. --worlds 15")
    p.add_argument("--world-reps", type=bounded_int(2, 100_000), default=10, metavar="N",
                   help="paired runs per scenario in each world (default: 10)")
    p.add_argument("--worlds-file", metavar="FILE",
                   help="the plausible worlds, with --worlds (default: calibration/worlds.parquet)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(handler=compare, resume=False)


def compare(args: argparse.Namespace) -> int:
    """Handler of ``compare``: run (or reuse) the paired runs, then write compare.html and compare.csv."""
    from crmsim.experiments.compare import comparison_experiment
    from crmsim.experiments.spec import SpecError
    from crmsim.experiments.store import ResultStore, StoreError
    from crmsim.model.scenario import ScenarioError, check_runnable

    if len(args.scenarios) < 2:
        return fail(f"SCENARIO.toml: got one file ({args.scenarios[0]}); allowed: two or more, the first being "
                     f"the reference, e.g. crmsim compare scenarios/calibrated_baseline.toml scenarios/faq.toml")
    from crmsim.experiments.sequential import Design

    design = None if args.reps is not None else Design.every(FIRST_LOOK, args.budget)
    try:
        country = _country(args.country)
        scenarios = [check_runnable(path) for path in args.scenarios]  # every file it points to, before any folder
        experiment = comparison_experiment(args.scenarios, args.reps or design.budget, args.steps, args.seed,
                                           country, _name(args))
    except ValueError as err:  # a bad --country
        return fail(str(err))
    except ScenarioError as err:
        return fail(str(err))
    except SpecError as err:
        return fail(str(err).removeprefix("crmsim compare: "))
    for path, scenario in zip(args.scenarios, scenarios):
        if country and scenario.country not in (None, args.country):
            warn(_("{file} names country {own}: compared in {country} here, as every file (--country), with its "
                   "other values kept").format(file=path, own=scenario.country, country=args.country))
    if args.worlds_file is not None and not args.worlds:
        return fail(f"--worlds-file: given without --worlds; allowed: with --worlds N, e.g. --worlds 15 "
                     f"--worlds-file {args.worlds_file}")
    store = ResultStore(Path(args.out) / experiment.name)
    jobs = [(args, experiment, None)]
    worlds: list[tuple[int, dict[str, float], Any]] = []
    if args.worlds:  # every world read and set on every file before anything is run or discarded
        args.worlds_file = args.worlds_file or WORLDS_FILE
        try:
            worlds = _world_experiments(args, store.root / "worlds")
        except ValueError as err:
            return fail(str(err))
        say(args, _("in {n} plausible worlds ({file}), {reps} paired runs each").format(
            n=len(worlds), file=args.worlds_file, reps=args.world_reps))
        for i, (world, _values, sub) in enumerate(worlds):
            jobs.append((sub, sub.experiment, _("world {world} ({i} of {n})").format(world=world, i=i + 1,
                                                                                     n=len(worlds))))
    # Only now that every input is known to be good: a refused command discards nothing.
    for options, job, _announcement in jobs:
        job_store = ResultStore(Path(options.out) / job.name)
        if args.fresh:
            problem = discard_saved(job_store)
            if problem is not None:
                return fail(problem)
        else:  # the same files, reps and seed: the runs already saved are reused, if today's model made them
            options.resume = job_store.exists()
    args.continue_hint = _("run the same command again to continue")  # compare resumes by itself
    if design is not None:
        code = _run_looks(args, experiment, design)
        if code != 0:
            return code
        jobs = jobs[1:]
    code = run_experiments(args, jobs) if jobs else 0
    if code != 0:
        return code
    across = None
    if worlds:
        try:
            across = _across_worlds(worlds)
        except StoreError as err:
            return fail(str(err))
    return _write_comparison(args, store.root, across, design)


def _country(code: str | None) -> dict[str, str] | None:
    """What --country sets on every file ({"country": code}), or None; ValueError (one line) for an unknown code."""
    if code is None:
        return None
    from crmsim.model.countries import CountryError, load_country

    try:
        load_country(code)
    except CountryError as err:
        raise ValueError(f"--country: {err}") from None
    return {"country": code}


def _name(args: argparse.Namespace) -> str | None:
    """The results folder's name: the files' (the default), with the country when --country names one, so that a
    comparison in another country never reuses these runs."""
    from crmsim.experiments.compare import comparison_name

    return f"{comparison_name(args.scenarios)}_in_{args.country}" if args.country else None


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
            return fail(str(err))
        stops = replay(final if final is not None else _no_runs(), labels, design, HEADLINE_TABLE)
        needs = {label: stop.needs for label, stop in stops.items() if stop.needs is not None}
        if not needs:
            return 0
        reps = design.budget
        wanted = {labels.index(label) * reps + r for label, n in needs.items() for r in range(n)}
        wanted |= set(range(max(needs.values())))  # the reference, paired with the most demanding
        look = design.looks.index(max(needs.values()))
        say(args, ngettext("look {look} of {looks}: {n} scenario to decide, {reps} paired runs each",
                           "look {look} of {looks}: {n} scenarios to decide, {reps} paired runs each",
                           len(needs)).format(look=look + 1, looks=len(design.looks), n=len(needs),
                                              reps=max(needs.values())))
        options = copy.copy(args)
        options.only, options.resume = wanted, store.exists()
        code = run_experiments(args, [(options, experiment, None)])
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
            experiment = comparison_experiment(args.scenarios, args.world_reps, args.steps, args.seed,
                                               {**values, **(_country(args.country) or {})},
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

    diffs = load_world_diffs([(world, Path(options.out) / options.experiment.name) for world, _v, options in worlds])
    values = pd.DataFrame([v for _w, v, _o in worlds], index=[w for w, _v, _o in worlds])
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
        return fail(str(err))
    if across is not None:
        comparison.worlds, comparison.dependence = across
    comparison.country = args.country
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
        return fail(f"{err}; the runs are saved: make room for it and run the same command again")
    if args.country:
        print(country_line(args.country) + "\n")
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
        print(_("wrote {file}").format(file=path))
    return 0


def country_line(code: str) -> str:
    """The header of a comparison run in one country: which, and where its indicators come from."""
    from crmsim.texts.labels import country_name

    return _("In {country} ({code}): every scenario runs with that country's published indicators "
             "(scenarios/countries/{code}.toml).").format(country=country_name(code), code=code)


def verdict_table(comparison: Any) -> str:
    """The terminal's verdicts: every metric for two or three scenarios, else the headline metrics per scenario."""
    from crmsim.experiments.compare import HEADLINE_TABLE, OVERALL, judgement, metric_label
    from crmsim.texts.i18n import difference, number
    from crmsim.texts.labels import value_text
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
        legend=legend, runs=comparison.runs_text(), year=value_text(round(comparison.reading_year, 2)))


def path_table(comparison: Any) -> str:
    """The terminal's path of each effect: one year after the switch, then the year the verdicts read ('' if the
    runs are a year or shorter)."""
    from crmsim.experiments.compare import HEADLINE_TABLE, metric_label
    from crmsim.texts.i18n import difference
    from crmsim.texts.labels import value_text
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

    header = [_("effect after 1 year → year {year}").format(year=value_text(round(comparison.reading_year, 2))),
              *(metric_label(m) for m in HEADLINE_TABLE)]
    rows = [[o, *(cell(o, m) for m in HEADLINE_TABLE)] for o in comparison.labels[1:]]
    return text_table(header, rows)


def worlds_table(comparison: Any) -> str:
    """The terminal's verdicts across worlds: per scenario and headline metric, today's verdict and where it holds."""
    from crmsim.experiments.compare import HEADLINE_TABLE, judgement, metric_label
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
