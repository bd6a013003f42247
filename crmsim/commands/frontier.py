"""The ``frontier`` subcommand: search the levers for the efficiency frontier, and write it.

    crmsim frontier experiments/frontier.toml [--out results] [--resume] [--sequential | --dask ADDR] [--workers N]

It runs the search of ``experiments.frontier`` on the engine the options ask
for, saving every generation's evaluations as they end, then writes in
``results/<name>/``:

- ``front.csv`` and ``front.parquet``: the front, one point a row (its levers,
  its objectives and their standard errors over the replications);
- ``convergence.csv``: epsilon progress, hypervolume and front size along the
  search;
- ``evaluations.parquet``: every setting tried (what ``--resume`` replays);
- ``policies.csv``: each policy of ``[search] policies`` run with the same
  seeds, and how far behind the front it lies;
- ``front/point_NN.toml``: each point as a scenario file for ``crmsim compare``
  and the teacher's page;
- ``frontier.html``: the front drawn pairwise, the convergence and each
  point's levers, offline.

Bad input (a file that cannot be read or searched, a folder holding another
search) is one line on stderr, exit code 2, and leaves no folder behind.

``--resume`` trusts nothing it reads. The state file (``frontier.json``) names
the search, the model that ran it, and the sha256 of the evaluations file it
saved last (and of the one before: the state is written just before each new
log, so a search killed between the two writes still resumes). An
evaluations file with any other hash was edited or damaged and is refused, as
is one whose contents the search could not have written
(:func:`~experiments.frontier.evaluations_problem`): the search replays it as
if it had run it, so a tampered cost would become a point of the front.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from crmsim.commands.common import fail, warn
from crmsim.commands.engine import engine_options, evaluator_for, run_saving
from crmsim.texts import exits
from crmsim.texts.i18n import _, ngettext

__all__ = ["register", "frontier"]

_DESCRIPTION = """\
Search the levers for the efficiency frontier: the settings that no other
setting beats on every objective at once (public cost against non-take-up of
the least skilled quarter, lost users and trust, in experiments/frontier.toml),
with EMA Workbench's epsilon-NSGA-II. Every setting runs the file's
replications with the same seeds. Writes the front (CSV, Parquet), its
convergence, each point as a scenario file and frontier.html (offline) in
results/<name>/. Stopped? --resume replays the search and carries on.

examples:
  crmsim frontier experiments/frontier.toml
  crmsim frontier experiments/frontier.toml --resume
  crmsim frontier experiments/frontier.toml --dask tcp://10.0.0.5:8786
"""

STATE = "frontier.json"  # what the folder's search is, and whether it finished


def register(subparsers: Any) -> None:
    """Add ``frontier`` to an argparse subparsers object (importing nothing heavy)."""
    p = subparsers.add_parser("frontier", help="search the levers for the front of cost against equality and trust",
                              description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("experiment", metavar="FRONTIER.toml", help="a frontier file (see experiments/frontier.toml)")
    p.add_argument("--out", default="results", metavar="DIR", help="results folder (default: results)")
    p.add_argument("--resume", action="store_true",
                   help="carry on a stopped search in the same folder (it replays the evaluations saved)")
    p.add_argument("--quiet", action="store_true", help="no progress, only the summary")
    engine_options(p)
    p.set_defaults(handler=frontier)


AGAIN = "allowed: the files as the search saved them (remove the folder, or start without --resume in another --out)"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _state(root: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The folder's state file (None if there is none), or why it is not one this command writes."""
    path = root / STATE
    if not path.is_file():
        return None, None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return None, f"{path}: damaged, cannot be read ({type(err).__name__}); {AGAIN}"
    seconds = state.get("seconds") if isinstance(state, dict) else None
    if (not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not 0 <= seconds < float("inf")
            or not isinstance(state.get("identity"), str) or not isinstance(state.get("finished"), bool)):
        return None, f"{path}: not the state crmsim frontier writes (identity, finished, seconds); {AGAIN}"
    return state, None


def _check_folder(root: Path, identity: str, resume: bool) -> str | None:
    """Why the folder cannot take this search (one line), or None."""
    from crmsim.experiments.provenance import STAMP_KEY, model_stamp, stamp_change

    blocker = next((p for p in (root, *root.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        return f"--out: {blocker} is a file; allowed: --out a folder"
    state, problem = _state(root)
    if problem is not None:
        return problem if resume else f"{root}: already holds a search; allowed: remove the folder to start again"
    if state is None:
        if root.is_dir() and any(p.name != ".lock" for p in root.iterdir()):
            return f"{root}: holds files that are not a frontier search; allowed: another --out, or remove the folder"
        return None
    if not resume:
        return (f"{root}: already holds a search ({'finished' if state.get('finished') else 'stopped'}); allowed: "
                f"--resume to carry it on, or remove the folder to start again")
    changed = stamp_change(state.get(STAMP_KEY), model_stamp())
    if changed is not None:
        return f"{root}: searched by another model ({changed}); allowed: remove the folder to start again"
    if state.get("identity") != identity:
        return (f"{root}: holds a search of another file (or of this file before an edit); allowed: the same file "
                f"unchanged, or remove the folder to start again")
    return None


def _saved_log(root: Path, spec: Any) -> tuple[Any, str | None]:
    """The evaluations a stopped search saved, checked against its state file and its search, or why not."""
    import pandas as pd

    from crmsim.experiments.frontier import EvaluationLog, evaluations_problem

    log_file = root / "evaluations.parquet"
    state = _state(root)[0] or {}
    known = {state.get("evaluations_sha256"), state.get("previous_sha256")} - {None}
    levers, metrics = list(spec.levers), [o.metric for o in spec.objectives]
    if not log_file.is_file():
        if known:
            return None, f"{log_file}: missing, though {root / STATE} says it was saved; {AGAIN}"
        return EvaluationLog(levers, metrics), None
    if _sha256(log_file) not in known:
        return None, f"{log_file}: changed since the search saved it (its sha256 is not in {STATE}); {AGAIN}"
    try:
        saved = pd.read_parquet(log_file)
    except (OSError, ValueError) as err:
        return None, f"{log_file}: cannot be read ({' '.join(str(err).split())}); {AGAIN}"
    problem = evaluations_problem(saved, spec)
    if problem is not None:
        return None, f"{log_file}: {problem}; {AGAIN}"
    return EvaluationLog(levers, metrics, saved), None


def frontier(args: argparse.Namespace) -> int:
    """Handler of ``frontier``."""
    from crmsim.experiments.frontier import FrontierError, load_frontier
    from crmsim.experiments.store import StoreError

    try:
        spec = load_frontier(args.experiment)
    except FrontierError as err:
        return fail(str(err))
    try:
        engine, warning = evaluator_for(args)
    except ValueError as err:
        return fail(str(err))
    root = Path(args.out) / spec.name
    problem = _check_folder(root, spec.identity(), args.resume)
    log = None
    if problem is None and args.resume:
        log, problem = _saved_log(root, spec)
    if problem is not None:
        return fail(problem)
    if warning is not None:
        warn(warning)
    return run_saving(root, "evaluations.parquet", lambda: _search(args, spec, engine, root, log),
                      (StoreError, FrontierError),  # FrontierError: an objective a run left undefined
                      nothing_kept=lambda what: _("{what} before any generation ended; nothing was kept").format(
                          what=what),
                      kept=lambda what: _("{what}: the evaluations of finished generations are saved in {folder}/; "
                                          "carry on with: {command}").format(
                          what=what, folder=root, command=f"crmsim frontier {args.experiment} --resume"))


def _search(args: argparse.Namespace, spec: Any, engine: Any, root: Path, log: Any) -> int:
    import io

    from crmsim.experiments.evaluators.base import EvaluatorError
    from crmsim.experiments.frontier import EvaluationLog, FrontierSearch
    from crmsim.experiments.progress import progress_for
    from crmsim.experiments.provenance import STAMP_KEY, model_stamp
    from crmsim.experiments.store import atomic_write

    log_file = root / "evaluations.parquet"
    levers, metrics = list(spec.levers), [o.metric for o in spec.objectives]
    previous = (_state(root)[0] or {}) if args.resume else {}
    earlier = float(previous.get("seconds", 0.0))  # earlier sessions' time
    log = log if log is not None else EvaluationLog(levers, metrics)
    root.mkdir(parents=True, exist_ok=True)
    state = {"identity": spec.identity(), STAMP_KEY: model_stamp(), "file": str(args.experiment), "finished": False,
             "seconds": earlier, "evaluations_sha256": _sha256(log_file) if log_file.is_file() else None}
    atomic_write(root / STATE, lambda p: p.write_text(json.dumps(state, indent=1), encoding="utf-8"))
    started = time.monotonic()
    reps = spec.replications
    total = (max(0, spec.search.evaluations - len(log)) + len(spec.search.policies)) * reps
    progress = progress_for(spec.name, total, 0, quiet=args.quiet)
    shown = [0]

    def on_runs(n: int) -> None:  # the last generation may overshoot the budget a little: never show over 100%
        step = min(n, total - shown[0])
        if step > 0 and progress is not None:
            progress.update(step)
        shown[0] += max(step, 0)

    def save(current: EvaluationLog) -> None:  # after every generation: what --resume replays, and the time so far
        buffer = io.BytesIO()
        current.frame().to_parquet(buffer, index=False)
        data = buffer.getvalue()
        # The state names the new log before it is written, and keeps the old one's hash: killed between the two
        # writes, the folder still holds a log the state vouches for.
        state["previous_sha256"], state["evaluations_sha256"] = state["evaluations_sha256"], \
            hashlib.sha256(data).hexdigest()
        state["seconds"] = round(earlier + time.monotonic() - started, 1)
        atomic_write(root / STATE, lambda p: p.write_text(json.dumps(state, indent=1), encoding="utf-8"))
        atomic_write(log_file, lambda p: p.write_bytes(data))

    if not args.quiet:
        again = _(", {n} settings already evaluated (replayed, not run)").format(n=len(log)) if len(log) else ""
        print(_("{name}: {settings} settings x {reps} replications, {levers} levers, {objectives} objectives, on "
                "{engine}{again}").format(name=spec.name, settings=spec.search.evaluations, reps=reps,
                                          levers=len(levers), objectives=len(metrics), engine=engine.describe(),
                                          again=again), flush=True)
    try:
        with engine:
            search = FrontierSearch(spec, engine, log, on_generation=save, on_runs=on_runs,
                                    chunk_size=args.chunk_size)
            result = search.run()
            placed = search.run_policies(list(spec.search.policies))
    except EvaluatorError as err:
        note = "the evaluations of finished generations are saved: carry on with --resume" if log_file.exists() \
            else "nothing was evaluated"
        return fail(f"{err}; {note}", exits.ENGINE)
    finally:
        if progress is not None:
            progress.close()
    seconds = earlier + time.monotonic() - started  # the search's whole time, over every session
    summary = _write(root, spec, result, placed, seconds, args.experiment)
    state.update(finished=True, seconds=round(seconds, 1), runs_this_session=result.ran)
    atomic_write(root / STATE, lambda p: p.write_text(json.dumps(state, indent=1), encoding="utf-8"))
    print(summary)
    sys.stdout.flush()
    return 0


def _write(root: Path, spec: Any, result: Any, placed: dict[str, dict[str, float]], seconds: float,
           source: str) -> str:
    """Write every output file; return the summary printed on the terminal."""
    from crmsim.experiments.described import write_described_parquet
    from crmsim.experiments.frontier import hypervolumes, placements
    from crmsim.experiments.frontier_points import base_file, point_scenarios
    from crmsim.experiments.store import atomic_write
    from crmsim.viz.frontier_report import frontier_page

    convergence = result.convergence.copy()
    volumes = dict(zip([n for n, _ in result.snapshots], hypervolumes(result.snapshots, spec.objectives)))
    convergence["hypervolume"] = [volumes.get(n, float("nan")) for n in convergence["nfe"]]
    places = placements(placed, result.front, spec.objectives)
    front = result.front
    atomic_write(root / "front.csv", lambda p: front.to_csv(p, index=False))
    atomic_write(root / "front.parquet", lambda p: write_described_parquet(front, p))  # with each metric's unit
    atomic_write(root / "convergence.csv", lambda p: convergence.to_csv(p, index=False))
    atomic_write(root / "policies.csv", lambda p: places.to_csv(p, index=False))
    files = point_scenarios(spec, front, root / "front")
    page = frontier_page(spec, front, convergence, places, seconds, source)
    atomic_write(root / "frontier.html", lambda p: p.write_text(page, encoding="utf-8"))
    return _summary(spec, front, convergence, places, seconds, root, files, base_file(spec))


def _summary(spec: Any, front: Any, convergence: Any, places: Any, seconds: float, root: Path,
             files: list[Path], base: str) -> str:
    from crmsim.experiments.progress import duration
    from crmsim.model.text import text_table
    from crmsim.viz.frontier_report import objective_text

    last = convergence.iloc[-1]
    points = ngettext("{n} point", "{n} points", len(front)).format(n=len(front))
    lines = [_("{name}: {settings} settings evaluated in {time}; the front has {points} (epsilon progress "
               "{progress}, hypervolume {hypervolume})").format(
        name=spec.name, settings=int(last["nfe"]), time=duration(seconds), points=points,
        progress=int(last["epsilon_progress"]), hypervolume=f"{last['hypervolume']:.3f}"), ""]
    head = [_("point"), *(o.metric for o in spec.objectives)]
    rows = [[str(r["point"]), *(objective_text(o, r[o.metric]) for o in spec.objectives)]
            for _i, r in front.head(12).iterrows()]
    lines += [_("The front ({shown} of {n} points, cheapest first; all in front.csv):").format(
        shown=min(12, len(front)), n=len(front)), text_table(head, rows)]
    if len(places):
        rows = [[r["policy"], *(objective_text(o, r[o.metric]) for o in spec.objectives),
                 _(r["status"]) if r["gap_epsilons"] <= 0 else
                 _("{status}: point {point} better on all by {gap} eps").format(
                     status=_(r["status"]), point=r["nearest_point"], gap=f"{r['gap_epsilons']:.1f}")]
                for _i, r in places.sort_values("gap_epsilons").iterrows()]
        lines += ["", _("The policies, same seeds (eps: each objective's epsilon):"),
                  text_table([_("policy"), *(o.metric for o in spec.objectives), _("against the front")], rows)]
    example = files[0] if files else root / "front" / "point_01.toml"
    lines += ["", _("wrote {folder}/: {files}").format(folder=root, files="front.csv, front.parquet, "
                                                     "convergence.csv, policies.csv, evaluations.parquet"),
              ngettext("wrote {n} scenario file in {folder}/; compare one with the base: {command}",
                       "wrote {n} scenario files in {folder}/; compare one with the base: {command}",
                       len(files)).format(n=len(files), folder=root / "front",
                                          command=f"crmsim compare {base} {example}"),
              _("wrote {file} (open it in any browser, offline)").format(file=root / "frontier.html")]
    return "\n".join(lines)
