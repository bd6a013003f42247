"""The ``worlds`` subcommand: draw plausible worlds and keep those that still meet the calibration figures.

    crmsim worlds calibration/worlds.toml [--out calibration/worlds.parquet] [--resume] [--sequential | --dask ADDR]

Each candidate's checks are saved as its chunk finishes
(``results/worlds/<name>/candidates.parquet``), so a stopped run goes on with
``--resume`` from what is saved; the candidates are a function of the file and
the posterior, so the resumed run is the run never stopped. Bad input is one
line on stderr, exit code 2, and leaves no folder behind.

A resume trusts nothing it reads (:func:`_read_state`, :func:`_read_saved`):
the state file must name this worlds file, unedited, and today's model; every
saved row must be a drawn candidate, once, carrying exactly its drawn values,
every column the checks write, and quantities, distance and verdict that agree
with each other under the file's rule. A saved file that cannot be read at all
(cut short, emptied, not Parquet) holds nothing usable: it is set aside in
``damaged/`` with a one-line warning and its candidates are checked again. A
file that reads but disagrees is refused instead: every write is atomic, so no
crash leaves one; it was edited or copied from another run, and going on would
either serve its values or silently throw away what someone may want to look
at, so the person decides (remove the folder to check every candidate again).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from crmsim.commands.common import fail, warn
from crmsim.commands.engine import engine_options, evaluator_for, run_saving
from crmsim.texts import exits
from crmsim.texts.i18n import _, percent

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
    p = subparsers.add_parser("worlds", help="draw plausible worlds that all meet the calibration figures",
                              description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec", metavar="WORLDS.toml", help="a worlds file, e.g. calibration/worlds.toml")
    p.add_argument("--out", default="calibration/worlds.parquet", metavar="FILE",
                   help="the worlds file written (default: calibration/worlds.parquet)")
    p.add_argument("--work", default="results/worlds", metavar="DIR",
                   help="where the candidates checked are saved as they finish (default: results/worlds/)")
    p.add_argument("--resume", action="store_true", help="go on from the candidates already checked in --work")
    p.add_argument("--quiet", action="store_true", help="no progress, only the summary")
    engine_options(p)
    p.set_defaults(handler=worlds)


def _read_state(root: Path, identity: str) -> tuple[float | None, str | None]:
    """The time earlier sessions spent, from a resumed folder's state file, or why the folder cannot be resumed."""
    from crmsim.experiments.provenance import STAMP_KEY, model_stamp, stamp_change

    state_file, again = root / STATE, "allowed: the state crmsim worlds writes; remove the folder to start again"
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return None, f"{state_file}: damaged, cannot be read ({type(err).__name__}); {again}"
    seconds = state.get("seconds") if isinstance(state, dict) else None
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not 0 <= seconds < float("inf"):
        return None, f"{state_file}: not the state crmsim worlds writes (identity, model, seconds); {again}"
    if state.get("identity") != identity:
        return None, (f"{root}: holds a run of another worlds file (or of this one, its targets or posterior before "
                      f"an edit); allowed: the same files unchanged, or remove the folder to start again")
    changed = stamp_change(state.get(STAMP_KEY), model_stamp())
    if changed is not None:
        return None, (f"{root}: its candidates were checked by another model ({changed}); allowed: remove the folder "
                      f"to start again")
    return float(seconds), None


def _check_folder(root: Path, identity: str, resume: bool) -> tuple[float, str | None]:
    """The seconds earlier sessions spent and why the work folder cannot take this run (one line), or None."""
    blocker = next((p for p in (root, *root.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        return 0.0, f"--work: {blocker} is a file; allowed: --work a folder"
    if not (root / STATE).is_file():
        if resume:
            return 0.0, f"{root}: holds no worlds run to resume; allowed: the same command without --resume"
        return 0.0, None
    if not resume:
        return 0.0, (f"{root}: already holds a worlds run; allowed: --resume to go on with it, or remove the folder "
                     f"to start again")
    earlier, problem = _read_state(root, identity)
    return earlier or 0.0, problem


def _check_out(out: Path, root: Path) -> str | None:
    """Why the worlds cannot be written to ``out`` (one line), found before any candidate is checked."""
    from crmsim.experiments.store import ResultStore, StoreError

    if out.is_dir() or out.suffix != ".parquet":
        return f"--out: {out} is not a .parquet file path; allowed: e.g. calibration/worlds.parquet"
    if out.resolve().parent == root.resolve():
        return f"--out: {out} is inside the work folder {root}; allowed: a file outside --work"
    try:
        ResultStore(out.parent).check_writable()  # leaves nothing behind
    except StoreError as err:
        return f"--out: {err}"
    return None


def worlds(args: argparse.Namespace) -> int:
    """Handler of ``worlds``."""
    from crmsim.calibration.worlds import WorldsError, draw_candidates, load_worlds_spec
    from crmsim.experiments.store import StoreError

    try:
        spec = load_worlds_spec(args.spec)
        candidates = draw_candidates(spec)  # reads the posterior: a bad one is refused before any folder is made
        engine, warning = evaluator_for(args)
    except (WorldsError, ValueError) as err:
        return fail(str(err))
    root = Path(args.work) / spec.name
    problem = _check_out(Path(args.out), root)
    earlier, folder_problem = _check_folder(root, spec.identity(), args.resume)
    if problem or folder_problem:
        return fail(problem or folder_problem)
    if warning is not None:
        warn(warning)
    return run_saving(root, "candidates.parquet",
                      lambda: _run(args, spec, candidates, engine, root, Path(args.out), earlier),
                      (StoreError, WorldsError),
                      nothing_kept=lambda what: _("{what} before any candidate was checked; nothing was kept").format(
                          what=what),
                      kept=lambda what: _("{what}: the candidates checked are saved in {folder}/; go on with: "
                                          "{command}").format(
                          what=what, folder=root, command=f"crmsim worlds {args.spec} --resume"))


def _set_aside(path: Path, reason: str) -> None:
    """Move an unreadable saved file to damaged/ beside it (a new name if one is there), with a warning."""
    folder = path.parent / "damaged"
    folder.mkdir(exist_ok=True)
    target, n = folder / path.name, 1
    while target.exists():
        n += 1
        target = folder / f"{path.stem}.{n}{path.suffix}"
    os.replace(path, target)
    warn(f"{path}: damaged, cannot be read ({reason}); moved to {target}; its candidates will be checked again")


def _read_saved(spec: Any, candidates: Any, path: Path) -> Any:
    """The saved checks, each row held to the draw and the rule (WorldsError: one line), or None if none."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from crmsim.calibration.worlds import WorldsError

    if not path.is_file():
        return None
    try:
        saved = pq.read_table(path).to_pandas()
    except (pa.ArrowException, OSError) as err:
        _set_aside(path, " ".join(str(err).split()))
        return None
    problem = _saved_problem(spec, candidates, saved)
    if problem is not None:
        raise WorldsError(f"{path}: {problem}; allowed: the candidates {spec.source} draws, as crmsim worlds saved "
                          f"them (remove {path.parent} to check them all again)")
    return saved


def _saved_problem(spec: Any, candidates: Any, saved: Any) -> str | None:
    """Why saved checks are not what this file's draw and rule give ('where: problem'), or None."""
    import math

    import numpy as np
    import pandas as pd

    from crmsim.calibration.fit import ScaledDistance

    targets = spec.calibration.targets
    columns = ["candidate", *spec.parameters, *(f"q_{t.name}" for t in targets), "distance", "kept"]
    if list(saved.columns) != columns:
        missing = next((c for c in columns if c not in saved.columns), None)
        extra = next((c for c in saved.columns if c not in columns), None)
        return (f"column {missing}: missing" if missing else f"column {extra}: not one crmsim worlds writes" if extra
                else "columns out of order")
    numbers = pd.to_numeric(saved["candidate"], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(numbers) | (numbers != np.round(numbers)) | (numbers < 0) | (numbers >= spec.candidates)
    if bad.any():
        return f"candidate {saved['candidate'].tolist()[int(np.flatnonzero(bad)[0])]!r}: not drawn"
    twice = saved["candidate"][saved["candidate"].duplicated()]
    if len(twice):
        return f"candidate {int(twice.iloc[0])}: saved twice"
    drawn = candidates.set_index("candidate").loc[numbers.astype(int)]
    distance = ScaledDistance(tuple((t.name, t.tolerance) for t in targets))
    for i, row in enumerate(saved.itertuples(index=False)):
        values, candidate = row._asdict(), int(numbers[i])
        for name in spec.parameters:
            if values[name] != drawn[name].iloc[i]:
                return (f"candidate {candidate}: {name} = {values[name]!r}, but the draw gives "
                        f"{float(drawn[name].iloc[i])!r}")
        means = {t.name: values[f"q_{t.name}"] for t in targets}
        if not all(isinstance(m, float) and not math.isinf(m) for m in means.values()):
            return f"candidate {candidate}: a quantity is not a number"
        scaled = distance(means, {t.name: t.value for t in targets})
        within = all(math.isfinite(means[t.name]) and abs(means[t.name] - t.value) <= t.tolerance for t in targets)
        kept = bool(within and scaled <= spec.epsilon)
        if values["distance"] != scaled or not isinstance(values["kept"], (bool, np.bool_)) or \
                bool(values["kept"]) != kept:
            return (f"candidate {candidate}: its quantities, distance and kept disagree (the distance they give is "
                    f"{scaled!r}, kept {kept})")
    return None


def _chunks(spec: Any, pending: Any, size: int) -> list[Any]:
    from crmsim.calibration.worlds import CandidateChunk

    names = spec.parameters
    rows = [(int(row["candidate"]), tuple((n, float(row[n])) for n in names)) for _, row in pending.iterrows()]
    return [CandidateChunk.of(spec, rows[i:i + size]) for i in range(0, len(rows), size)]


def _run(args: argparse.Namespace, spec: Any, candidates: Any, engine: Any, root: Path, out: Path,
         earlier: float) -> int:
    import pandas as pd

    from crmsim.calibration.worlds import evaluate_chunk, write_worlds
    from crmsim.experiments.evaluators.base import EvaluatorError
    from crmsim.experiments.progress import progress_for
    from crmsim.experiments.provenance import STAMP_KEY, model_stamp
    from crmsim.experiments.store import atomic_write

    saved_file, state_file = root / "candidates.parquet", root / STATE
    saved = _read_saved(spec, candidates, saved_file) if args.resume else None
    done = set() if saved is None else set(saved["candidate"].astype(int))
    pending = candidates[~candidates["candidate"].isin(done)]
    rows: list[dict[str, Any]] = [] if saved is None else saved.to_dict("records")
    state = {"identity": spec.identity(), STAMP_KEY: model_stamp(), "file": str(args.spec), "seconds": earlier}
    atomic_write(state_file, lambda p: p.write_text(json.dumps(state, indent=1), encoding="utf-8"))
    size = args.chunk_size or max(1, min(5, len(pending) // max(1, 4 * engine.workers)))
    if not args.quiet:
        again = _(", {n} already checked").format(n=len(done)) if done else ""
        print(_("{name}: {candidates} candidates x {seeds} seeds ({fitted} fitted from the posterior, {assumptions} "
                "assumptions), on {engine}{again}").format(
            name=spec.name, candidates=spec.candidates, seeds=spec.seeds, fitted=len(spec.fitted),
            assumptions=len(spec.assumptions), engine=engine.describe(), again=again), flush=True)
    progress = progress_for(spec.name, len(candidates) * spec.seeds, len(done) * spec.seeds, quiet=args.quiet)
    started = time.monotonic()
    try:
        with engine:
            for _index, result in engine.map_chunks(evaluate_chunk, _chunks(spec, pending, size)):
                rows.extend(result)
                frame = pd.DataFrame(rows)
                atomic_write(saved_file, lambda p: frame.to_parquet(p, index=False))
                state["seconds"] = round(earlier + time.monotonic() - started, 1)
                atomic_write(state_file, lambda p: p.write_text(json.dumps(state, indent=1), encoding="utf-8"))
                if progress is not None:
                    progress.update(len(result) * spec.seeds)
    except EvaluatorError as err:
        note = "the candidates checked are saved: go on with --resume" if rows else "no candidate was checked"
        return fail(f"{err}; {note}", exits.ENGINE)
    finally:
        if progress is not None:
            progress.close()
    evaluated = pd.DataFrame(rows).sort_values("candidate").reset_index(drop=True)
    seconds = earlier + time.monotonic() - started
    kept = write_worlds(out, spec, evaluated, seconds)
    print(_summary(spec, evaluated, kept, seconds, out))
    if kept.empty:
        return fail(f"no candidate met every calibration figure; allowed: narrower believed ranges in "
                     f"model/params.py, more candidates, or a larger epsilon in {args.spec}", 1)
    return 0


def _summary(spec: Any, evaluated: Any, kept: Any, seconds: float, out: Path) -> str:
    lines = [_("{kept} of {n} candidates meet every figure ({share}), {minutes} min; written to {file}").format(
        kept=len(kept), n=len(evaluated), share=percent(len(kept) / len(evaluated)),
        minutes=f"{seconds / 60:.1f}", file=out)]
    for target in spec.calibration.targets:
        column = f"q_{target.name}"
        values = kept[column] if len(kept) else evaluated[column]
        lines.append("  " + _("{target}: figure {value} +- {tolerance}; worlds {low} to {high}").format(
            target=target.name, value=f"{target.value:g}", tolerance=f"{target.tolerance:g}",
            low=f"{values.min():.3f}", high=f"{values.max():.3f}"))
    return "\n".join(lines)
