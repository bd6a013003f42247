"""The ``patterns`` subcommand: the calibrated model against held-out patterns it was never fitted to.

    crmsim patterns calibration/patterns.toml [--reps N] [--worlds N] [--out DIR] [--sequential | --dask ADDR]

Prints one line per pattern (figure, model mean and interval, verdict) and
writes ``<out>/<name>/``: patterns.csv, runs.parquet, report.html and
report.fr.html (offline). Bad input is one line on stderr, exit code 2, found
before any run: the worlds file is read and every world's runs built first,
and the folder is checked writable (leaving nothing behind). Ctrl-C and
SIGTERM stop it as they stop a sweep (exit 130, 143); nothing is written
until every run is done, and runs.parquet's rows are sorted (world, pattern
in the file's order, seed), so the same command writes the same bytes
however the engine ordered the runs.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

from crmsim.commands.common import WORLDS_FILE, fail, warn
from crmsim.commands.engine import engine_options, evaluator_for, stopped
from crmsim.model.text import bounded_int
from crmsim.texts import exits
from crmsim.texts.i18n import _

__all__ = ["register", "patterns"]

_DESCRIPTION = """\
Set the calibrated model beside published patterns it was never fitted to
(pattern-oriented validation): who uses online services by skill, who has a
say, who institutional prescribers help, who cannot manage online alone, and
online use across countries when only the skill distribution changes. Each
pattern is run --reps times with common seeds; a verdict reads the 95%
interval of the mean against what the figure allows: reproduced, missed,
unclear, or no counterpart (the quantity is undefined in the model).
--worlds N also runs the first N plausible worlds (calibration/worlds.parquet)
and reports their range.

examples:
  crmsim patterns calibration/patterns.toml
  crmsim patterns calibration/patterns.toml --reps 40
  crmsim patterns calibration/patterns.toml --worlds 15 --world-reps 3
"""


def register(subparsers: Any) -> None:
    """Add ``patterns`` to an argparse subparsers object (importing nothing heavy)."""
    p = subparsers.add_parser("patterns", help="check the calibrated model on held-out patterns "
                                               "(crmsim patterns calibration/patterns.toml)",
                              description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec", metavar="PATTERNS.toml", help="a patterns file, e.g. calibration/patterns.toml")
    p.add_argument("--reps", type=bounded_int(2, 1000), metavar="N",
                   help="runs of the calibrated baseline per pattern (default: the file's reps)")
    p.add_argument("--worlds", type=bounded_int(0, 10_000), default=0, metavar="N",
                   help="also run the first N plausible worlds (default: 0)")
    p.add_argument("--world-reps", type=bounded_int(1, 1000), default=3, metavar="N",
                   help="runs per pattern in each world (default: 3)")
    p.add_argument("--worlds-file", metavar="FILE",
                   help="the plausible worlds, with --worlds (default: calibration/worlds.parquet)")
    p.add_argument("--out", default="results/patterns", metavar="DIR",
                   help="where the report's folder goes (default: results/patterns/)")
    p.add_argument("--quiet", action="store_true", help="no progress, only the table")
    engine_options(p)
    p.set_defaults(handler=patterns)


def patterns(args: argparse.Namespace) -> int:
    """Handler of ``patterns``."""
    from crmsim.calibration.patterns import PatternsError, load_patterns
    from crmsim.experiments.store import ResultStore, StoreError

    try:
        spec = load_patterns(args.spec)
    except PatternsError as err:
        return fail(str(err))
    if args.worlds_file is not None and not args.worlds:
        return fail(f"--worlds-file: given without --worlds; allowed: with --worlds N, e.g. --worlds 15 "
                     f"--worlds-file {args.worlds_file}")
    worlds: list[tuple[int, dict[str, float]]] = [(-1, {})]  # world -1: the calibrated baseline itself
    if args.worlds:
        try:
            worlds += _read_worlds(spec, args.worlds_file or WORLDS_FILE, args.worlds)
        except ValueError as err:
            return fail(str(err))
    folder = Path(args.out) / spec.name
    try:
        engine, warning = evaluator_for(args)
        ResultStore(folder).check_writable()  # now, not after every run; it leaves nothing behind
    except (ValueError, StoreError) as err:
        return fail(str(err))
    if warning is not None:
        warn(warning)
    return _run(args, spec, worlds, engine, folder)


def _read_worlds(spec: Any, path: str, count: int) -> list[tuple[int, dict[str, float]]]:
    """The first ``count`` worlds, each already set on every pattern's scenario, so that a bad value stops the
    command before any run (ValueError: one line naming the worlds file)."""
    from crmsim.calibration.worlds import WorldsError, read_worlds
    from crmsim.experiments.worlds_compare import world_values
    from crmsim.model.scenario import ScenarioError

    try:
        frame, provenance = read_worlds(path)
    except WorldsError as err:
        raise ValueError(f"--worlds-file: {err}") from None
    worlds = world_values(frame, provenance, count)
    for world, values in worlds:
        for pattern in spec.patterns:
            try:
                spec.base.with_values({**values, **spec.values(pattern)}, source=f"{path}: world {world}")
            except ScenarioError as err:
                raise ValueError(f"--worlds-file: {err} (pattern {pattern.name})") from None
    return worlds


def _run(args: argparse.Namespace, spec: Any, worlds: list, engine: Any, folder: Path) -> int:
    from crmsim.experiments.evaluators.base import EvaluatorError
    from crmsim.experiments.interrupt import Terminated, sigterm_as_interrupt
    from crmsim.experiments.store import StoreError

    started = time.monotonic()
    with sigterm_as_interrupt():
        try:
            runs, total = _runs(args, spec, worlds, engine)
        except EvaluatorError as err:
            return fail(f"{err}; nothing was written", exits.ENGINE)
        except KeyboardInterrupt as err:
            print("\n" + _("{what} before every run was done; nothing was written (the runs are saved only "
                           "together); run the same command again").format(what=stopped(err)), file=sys.stderr)
            return exits.TERMINATED if isinstance(err, Terminated) else exits.INTERRUPTED
    try:
        table = _write(spec, runs, folder)
    except StoreError as err:
        return fail(str(err))
    print(_table(table))
    print("\n" + _("{n} runs in {minutes} min; wrote {folder}/: {files}").format(
        n=total, minutes=f"{(time.monotonic() - started) / 60:.1f}", folder=folder,
        files="patterns.csv, runs.parquet, report.html, report.fr.html"))
    return 0


def _runs(args: argparse.Namespace, spec: Any, worlds: list, engine: Any) -> tuple[Any, int]:
    """Every run's rows, sorted (world, pattern in the file's order, seed); and how many runs were made."""
    import pandas as pd

    from crmsim.calibration.patterns import chunks, run_chunk
    from crmsim.experiments.progress import progress_for

    reps = args.reps or spec.reps
    work = chunks(spec, worlds[:1], reps, args.chunk_size or 4)
    if len(worlds) > 1:
        work += chunks(spec, worlds[1:], args.world_reps, args.chunk_size or 4)
    total = sum(len(c.runs) for c in work)
    if not args.quiet:
        more = _(", and {worlds} worlds x {reps} runs").format(worlds=len(worlds) - 1, reps=args.world_reps) \
            if len(worlds) > 1 else ""
        print(_("{name}: {patterns} patterns x {reps} runs of {base}{more}, on {engine}").format(
            name=spec.name, patterns=len(spec.patterns), reps=reps, base=spec.base.name, more=more,
            engine=engine.describe()), flush=True)
    progress = progress_for(spec.name, total, 0, quiet=args.quiet)
    rows: list[dict[str, Any]] = []
    try:
        with engine:
            for index, result in engine.map_chunks(run_chunk, work):
                rows.extend(result)
                if progress is not None:  # runs, not rows: one run gives every pattern that shares its values
                    progress.update(len(work[index].runs))
    finally:
        if progress is not None:
            progress.close()
    order = {p.name: i for i, p in enumerate(spec.patterns)}
    runs = pd.DataFrame(rows, columns=["pattern", "world", "seed", "value"])
    runs = runs.sort_values(["world", "pattern", "seed"], key=lambda c: c.map(order) if c.name == "pattern" else c,
                            kind="stable").reset_index(drop=True)
    return runs, total


def _write(spec: Any, runs: Any, folder: Path) -> Any:
    """Write runs.parquet, patterns.csv and both reports; return the patterns' table."""
    from crmsim.calibration.patterns import summarise
    from crmsim.experiments.store import atomic_write
    from crmsim.viz.patterns_report import patterns_report

    table = summarise(spec, runs)
    atomic_write(folder / "runs.parquet", lambda p: runs.to_parquet(p, index=False))
    atomic_write(folder / "patterns.csv", lambda p: table.to_csv(p, index=False))
    for lang, name in (("en", "report.html"), ("fr", "report.fr.html")):
        page = patterns_report(spec, table, lang)
        atomic_write(folder / name, lambda p: p.write_text(page, encoding="utf-8"))
    return table


def _table(table: Any) -> str:
    from crmsim.model.text import text_table

    def fmt(x: float) -> str:
        return "n/a" if math.isnan(x) else f"{x:.3f}".replace("-0.000", "0.000")

    def span(low: float, high: float) -> str:
        return _("{low} to {high}").format(low=fmt(low), high=fmt(high))

    rows = [[r.pattern, r.figure, fmt(r.model_mean), span(r.model_low, r.model_high),
             *([span(r.worlds_low, r.worlds_high)] if r.worlds else []), _(r.verdict)]
            for r in table.itertuples()]
    header = [_("pattern"), _("figure"), _("model"), _("95% interval"),
              *([_("worlds 5-95%")] if table["worlds"].max() else []), _("verdict")]
    return text_table(header, rows)
