"""The ``patterns`` subcommand: the calibrated model against held-out patterns it was never fitted to.

    crmsim patterns calibration/patterns.toml [--reps N] [--worlds N] [--out DIR] [--sequential | --dask ADDR]

Prints one line per pattern (figure, model mean and interval, verdict) and
writes ``<out>/<name>/``: patterns.csv, runs.parquet, report.html and
report.fr.html (offline). Bad input is one line on stderr, exit code 2.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import Any

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
  crmsim patterns calibration/patterns.toml --worlds 20 --world-reps 3
"""


def register(subparsers: Any) -> None:
    """Add ``patterns`` to an argparse subparsers object (importing nothing heavy)."""
    from crmsim.experiments.commands import _engine_options
    from crmsim.model.text import bounded_int

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
    p.add_argument("--worlds-file", default="calibration/worlds.parquet", metavar="FILE",
                   help="the plausible worlds (default: calibration/worlds.parquet)")
    p.add_argument("--out", default="results/patterns", metavar="DIR",
                   help="where the report's folder goes (default: results/patterns/)")
    p.add_argument("--quiet", action="store_true", help="no progress, only the table")
    _engine_options(p)
    p.set_defaults(handler=patterns)


def patterns(args: argparse.Namespace) -> int:
    """Handler of ``patterns``."""
    from crmsim.calibration.patterns import PatternsError, load_patterns
    from crmsim.calibration.worlds import WorldsError, read_worlds
    from crmsim.experiments.commands import _evaluator, _fail, _warn
    from crmsim.experiments.worlds_compare import world_values

    try:
        spec = load_patterns(args.spec)
    except PatternsError as err:
        return _fail(str(err))
    worlds: list[tuple[int, dict[str, float]]] = [(-1, {})]
    if args.worlds:
        try:
            frame, provenance = read_worlds(args.worlds_file)
            worlds += world_values(frame, provenance, args.worlds)
        except (WorldsError, ValueError) as err:
            return _fail(f"--worlds-file: {err}" if isinstance(err, WorldsError) else str(err))
    folder = Path(args.out) / spec.name
    if folder.exists() and not folder.is_dir():
        return _fail(f"--out: {folder} is a file; allowed: a folder")
    try:
        engine, warning = _evaluator(args)
    except ValueError as err:
        return _fail(str(err))
    if warning is not None:
        _warn(warning)
    return _run(args, spec, worlds, engine, folder)


def _run(args: argparse.Namespace, spec: Any, worlds: list, engine: Any, folder: Path) -> int:
    import pandas as pd

    from crmsim.calibration.patterns import chunks, run_chunk, summarise
    from crmsim.experiments.progress import progress_for
    from crmsim.experiments.store import atomic_write
    from crmsim.viz.patterns_report import patterns_report

    reps = args.reps or spec.reps
    work = chunks(spec, worlds[:1], reps, args.chunk_size or 4)
    if len(worlds) > 1:
        work += chunks(spec, worlds[1:], args.world_reps, args.chunk_size or 4)
    total = sum(len(c.runs) for c in work)
    if not args.quiet:
        print(f"{spec.name}: {len(spec.patterns)} patterns x {reps} runs of {spec.base.name}"
              + (f", and {len(worlds) - 1} worlds x {args.world_reps} runs" if len(worlds) > 1 else "")
              + f", on {engine.describe()}", flush=True)
    progress = progress_for(spec.name, total, 0, quiet=args.quiet)
    rows: list[dict[str, Any]] = []
    started = time.monotonic()
    try:
        with engine:
            for index, result in engine.map_chunks(run_chunk, work):
                rows.extend(result)
                if progress is not None:  # runs, not rows: one run gives every pattern that shares its values
                    progress.update(len(work[index].runs))
    finally:
        if progress is not None:
            progress.close()
    runs = pd.DataFrame(rows)
    table = summarise(spec, runs)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / "runs.parquet", lambda p: runs.to_parquet(p, index=False))
    atomic_write(folder / "patterns.csv", lambda p: table.to_csv(p, index=False))
    for lang, name in (("en", "report.html"), ("fr", "report.fr.html")):
        page = patterns_report(spec, table, lang)
        atomic_write(folder / name, lambda p: p.write_text(page, encoding="utf-8"))
    print(_table(table))
    print(f"\n{total} runs in {(time.monotonic() - started) / 60:.1f} min; wrote {folder}/: patterns.csv, "
          f"runs.parquet, report.html, report.fr.html")
    return 0


def _table(table: Any) -> str:
    from crmsim.model.text import text_table

    def fmt(x: float) -> str:
        return "n/a" if math.isnan(x) else f"{x:.3f}".replace("-0.000", "0.000")

    rows = [[r.pattern, r.figure, fmt(r.model_mean), f"{fmt(r.model_low)} to {fmt(r.model_high)}",
             *([f"{fmt(r.worlds_low)} to {fmt(r.worlds_high)}"] if r.worlds else []), r.verdict]
            for r in table.itertuples()]
    header = ["pattern", "figure", "model", "95% interval", *(["worlds 5-95%"] if table["worlds"].max() else []),
              "verdict"]
    return text_table(header, rows)
