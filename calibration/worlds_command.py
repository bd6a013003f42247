"""The ``worlds`` subcommand: draw plausible worlds and keep those that still meet the calibration figures.

    crmsim worlds calibration/worlds.toml [--out calibration/worlds.parquet] [--resume] [--sequential | --dask ADDR]

Each candidate's checks are saved as its chunk finishes
(``results/worlds/<name>/candidates.parquet``), so a stopped run goes on with
``--resume`` from what is saved; the candidates are a function of the file and
the posterior, so the resumed run is the run never stopped. Bad input is one
line on stderr, exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from crmsim import exits

__all__ = ["register", "worlds"]

_DESCRIPTION = """\
Draw plausible worlds: the fitted parameters from the calibration's posterior,
the assumptions a worlds file lists from a Latin hypercube over their believed
ranges (model/params.py says why each range), and keep each candidate whose
baseline still meets every calibration figure within its tolerance (the mean
of a few runs with common seeds). Writes the worlds, with their provenance, to
--out (calibration/worlds.parquet), which compare --worlds reads. Stopped?
--resume goes on from the candidates already checked.

examples:
  crmsim worlds calibration/worlds.toml
  crmsim worlds calibration/worlds.toml --resume
  crmsim worlds calibration/worlds.toml --dask tcp://10.0.0.5:8786
"""

STATE = "worlds.json"  # which worlds file the work folder belongs to


def register(subparsers: Any) -> None:
    """Add ``worlds`` to an argparse subparsers object (importing nothing heavy)."""
    from crmsim.experiments.commands import _engine_options

    p = subparsers.add_parser("worlds", help="draw plausible worlds that all meet the calibration figures",
                              description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec", metavar="WORLDS.toml", help="a worlds file, e.g. calibration/worlds.toml")
    p.add_argument("--out", default="calibration/worlds.parquet", metavar="FILE",
                   help="the worlds file written (default: calibration/worlds.parquet)")
    p.add_argument("--work", default="results/worlds", metavar="DIR",
                   help="where the candidates checked are saved as they finish (default: results/worlds/)")
    p.add_argument("--resume", action="store_true", help="go on from the candidates already checked in --work")
    p.add_argument("--quiet", action="store_true", help="no progress, only the summary")
    _engine_options(p)
    p.set_defaults(handler=worlds)


def _check_folder(root: Path, identity: str, resume: bool) -> str | None:
    """Why the work folder cannot take this run (one line), or None."""
    if root.exists() and not root.is_dir():
        return f"{root}: is a file; allowed: --work a folder"
    state_file = root / STATE
    if not state_file.is_file():
        if resume:
            return f"{root}: holds no worlds run to resume; allowed: the same command without --resume"
        return None
    if not resume:
        return (f"{root}: already holds a worlds run; allowed: --resume to go on with it, or remove the folder to "
                f"start again")
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    if state.get("identity") != identity:
        return (f"{root}: holds a run of another worlds file (or of this one, its targets or posterior before an "
                f"edit); allowed: the same files unchanged, or remove the folder to start again")
    return None


def worlds(args: argparse.Namespace) -> int:
    """Handler of ``worlds``."""
    from crmsim.calibration.worlds import WorldsError, load_worlds_spec
    from crmsim.experiments.commands import _evaluator, _fail, _warn
    from crmsim.experiments.interrupt import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, sigterm_as_interrupt
    from crmsim.experiments.store import ResultStore, StoreError

    try:
        spec = load_worlds_spec(args.spec)
    except WorldsError as err:
        return _fail(str(err))
    try:
        engine, warning = _evaluator(args)
    except ValueError as err:
        return _fail(str(err))
    if warning is not None:
        _warn(warning)
    out = Path(args.out)
    if out.is_dir() or out.suffix != ".parquet":
        return _fail(f"--out: {out} is not a .parquet file path; allowed: e.g. calibration/worlds.parquet")
    root = Path(args.work) / spec.name
    problem = _check_folder(root, spec.identity(), args.resume)
    if problem is not None:
        return _fail(problem)
    with sigterm_as_interrupt():
        try:
            with ResultStore(root).lock():
                return _run(args, spec, engine, root, out)
        except (StoreError, WorldsError) as err:
            return _fail(str(err))
        except KeyboardInterrupt as err:
            what = "stopped by SIGTERM" if isinstance(err, Terminated) else "interrupted"
            print(f"\n{what}: the candidates checked are saved in {root}/; go on with: crmsim worlds {args.spec} "
                  f"--resume", file=sys.stderr)
            return EXIT_TERMINATED if isinstance(err, Terminated) else EXIT_INTERRUPTED


def _chunks(spec: Any, pending: Any, size: int) -> list[Any]:
    from crmsim.calibration.worlds import CandidateChunk

    names = spec.parameters
    rows = [(int(row["candidate"]), tuple((n, float(row[n])) for n in names)) for _, row in pending.iterrows()]
    return [CandidateChunk.of(spec, rows[i:i + size]) for i in range(0, len(rows), size)]


def _run(args: argparse.Namespace, spec: Any, engine: Any, root: Path, out: Path) -> int:
    import pandas as pd

    from crmsim.calibration.worlds import draw_candidates, evaluate_chunk, write_worlds
    from crmsim.experiments.evaluators.base import EvaluatorError
    from crmsim.experiments.progress import progress_for
    from crmsim.experiments.store import atomic_write

    saved_file, state_file = root / "candidates.parquet", root / STATE
    candidates = draw_candidates(spec)
    saved = pd.read_parquet(saved_file) if args.resume and saved_file.is_file() else None
    earlier = 0.0
    if args.resume:
        earlier = float(json.loads(state_file.read_text(encoding="utf-8")).get("seconds", 0.0))
    done = set() if saved is None else set(saved["candidate"].astype(int))
    pending = candidates[~candidates["candidate"].isin(done)]
    rows: list[dict[str, Any]] = [] if saved is None else saved.to_dict("records")
    state = {"identity": spec.identity(), "file": str(args.spec), "seconds": earlier}
    atomic_write(state_file, lambda p: p.write_text(json.dumps(state, indent=1), encoding="utf-8"))
    size = args.chunk_size or max(1, min(5, len(pending) // max(1, 4 * engine.workers)))
    if not args.quiet:
        again = f", {len(done)} already checked" if done else ""
        print(f"{spec.name}: {spec.candidates} candidates x {spec.seeds} seeds ({len(spec.fitted)} fitted from the "
              f"posterior, {len(spec.assumptions)} assumptions), on {engine.describe()}{again}", flush=True)
    progress = progress_for(spec.name, len(candidates) * spec.seeds, len(done) * spec.seeds, quiet=args.quiet)
    started = time.monotonic()
    try:
        with engine:
            for _, result in engine.map_chunks(evaluate_chunk, _chunks(spec, pending, size)):
                rows.extend(result)
                frame = pd.DataFrame(rows)
                atomic_write(saved_file, lambda p: frame.to_parquet(p, index=False))
                state["seconds"] = round(earlier + time.monotonic() - started, 1)
                atomic_write(state_file, lambda p: p.write_text(json.dumps(state, indent=1), encoding="utf-8"))
                if progress is not None:
                    progress.update(len(result) * spec.seeds)
    except EvaluatorError as err:
        from crmsim.experiments.commands import _fail

        return _fail(f"{err}; the candidates checked are saved: go on with --resume", exits.ENGINE)
    finally:
        if progress is not None:
            progress.close()
    evaluated = pd.DataFrame(rows).sort_values("candidate").reset_index(drop=True)
    seconds = earlier + time.monotonic() - started
    kept = write_worlds(out, spec, evaluated, seconds)
    print(_summary(spec, evaluated, kept, seconds, out))
    if kept.empty:
        from crmsim.experiments.commands import _fail

        return _fail(f"no candidate met every calibration figure; allowed: narrower believed ranges in "
                     f"model/params.py, more candidates, or a larger epsilon in {args.spec}", 1)
    return 0


def _summary(spec: Any, evaluated: Any, kept: Any, seconds: float, out: Path) -> str:
    lines = [f"{len(kept)} of {len(evaluated)} candidates meet every figure ({len(kept) / len(evaluated):.0%}), "
             f"{seconds / 60:.1f} min; written to {out}"]
    for target in spec.calibration.targets:
        column = f"q_{target.name}"
        values = kept[column] if len(kept) else evaluated[column]
        lines.append(f"  {target.name}: figure {target.value:g} +- {target.tolerance:g}; worlds "
                     f"{values.min():.3f} to {values.max():.3f}")
    return "\n".join(lines)
