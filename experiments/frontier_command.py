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
search) is one line on stderr, exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from crmsim import exits

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
    from crmsim.experiments.commands import _engine_options

    p = subparsers.add_parser("frontier", help="search the levers for the front of cost against equality and trust",
                              description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("experiment", metavar="FRONTIER.toml", help="a frontier file (see experiments/frontier.toml)")
    p.add_argument("--out", default="results", metavar="DIR", help="results folder (default: results)")
    p.add_argument("--resume", action="store_true",
                   help="carry on a stopped search in the same folder (it replays the evaluations saved)")
    p.add_argument("--quiet", action="store_true", help="no progress, only the summary")
    _engine_options(p)
    p.set_defaults(handler=frontier)


def _state(root: Path) -> dict[str, Any] | None:
    path = root / STATE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _check_folder(root: Path, identity: str, resume: bool) -> str | None:
    """Why the folder cannot take this search (one line), or None."""
    if root.exists() and not root.is_dir():
        return f"{root}: is a file; allowed: --out a folder"
    state = _state(root)
    if state is None:
        if root.is_dir() and any(p.name != ".lock" for p in root.iterdir()):
            return f"{root}: holds files that are not a frontier search; allowed: another --out, or remove the folder"
        return None
    if not resume:
        return (f"{root}: already holds a search ({'finished' if state.get('finished') else 'stopped'}); allowed: "
                f"--resume to carry it on, or remove the folder to start again")
    if state.get("identity") != identity:
        return (f"{root}: holds a search of another file (or of this file before an edit); allowed: the same file "
                f"unchanged, or remove the folder to start again")
    return None


def _fail(message: str, code: int = 2) -> int:
    from crmsim.experiments.commands import _fail as fail

    return fail(message, code)


def frontier(args: argparse.Namespace) -> int:
    """Handler of ``frontier``."""
    from crmsim.experiments.commands import _evaluator, _warn
    from crmsim.experiments.frontier import FrontierError, load_frontier
    from crmsim.experiments.interrupt import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, sigterm_as_interrupt
    from crmsim.experiments.store import ResultStore, StoreError

    try:
        spec = load_frontier(args.experiment)
    except FrontierError as err:
        return _fail(str(err))
    try:
        engine, warning = _evaluator(args)
    except ValueError as err:
        return _fail(str(err))
    if warning is not None:
        _warn(warning)
    root = Path(args.out) / spec.name
    problem = _check_folder(root, spec.identity(), args.resume)
    if problem is not None:
        return _fail(problem)
    with sigterm_as_interrupt():
        try:
            with ResultStore(root).lock():
                return _search(args, spec, engine, root)
        except StoreError as err:
            return _fail(str(err))
        except KeyboardInterrupt as err:
            what = "stopped by SIGTERM" if isinstance(err, Terminated) else "interrupted"
            print(f"\n{what}: the evaluations of finished generations are saved in {root}/; carry on with: "
                  f"crmsim frontier {args.experiment} --resume", file=sys.stderr)
            return EXIT_TERMINATED if isinstance(err, Terminated) else EXIT_INTERRUPTED


def _search(args: argparse.Namespace, spec: Any, engine: Any, root: Path) -> int:
    import pandas as pd

    from crmsim.experiments.evaluators.base import EvaluatorError
    from crmsim.experiments.frontier import EvaluationLog, FrontierSearch
    from crmsim.experiments.progress import progress_for
    from crmsim.experiments.store import atomic_write

    log_file = root / "evaluations.parquet"
    levers, metrics = list(spec.levers), [o.metric for o in spec.objectives]
    saved = pd.read_parquet(log_file) if args.resume and log_file.is_file() else None
    earlier = float((_state(root) or {}).get("seconds", 0.0)) if args.resume else 0.0  # earlier sessions' time
    log = EvaluationLog(levers, metrics, saved)
    root.mkdir(parents=True, exist_ok=True)
    state = {"identity": spec.identity(), "file": str(args.experiment), "finished": False, "seconds": earlier}
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
        frame = current.frame()
        atomic_write(log_file, lambda p: frame.to_parquet(p, index=False))
        state["seconds"] = round(earlier + time.monotonic() - started, 1)
        atomic_write(root / STATE, lambda p: p.write_text(json.dumps(state, indent=1), encoding="utf-8"))

    if not args.quiet:
        again = f", {len(log)} settings already evaluated (replayed, not run)" if len(log) else ""
        print(f"{spec.name}: {spec.search.evaluations} settings x {reps} replications, {len(levers)} levers, "
              f"{len(metrics)} objectives, on {engine.describe()}{again}", flush=True)
    try:
        with engine:
            search = FrontierSearch(spec, engine, log, on_generation=save, on_runs=on_runs,
                                    chunk_size=args.chunk_size)
            result = search.run()
            placed = search.run_policies(list(spec.search.policies))
    except EvaluatorError as err:
        return _fail(f"{err}; the evaluations of finished generations are saved: carry on with --resume", exits.ENGINE)
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
    atomic_write(root / "front.parquet", lambda p: front.to_parquet(p, index=False))
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
    points = f"{len(front)} point{'s' if len(front) != 1 else ''}"
    lines = [f"{spec.name}: {int(last['nfe'])} settings evaluated in {duration(seconds)}; the front has "
             f"{points} (epsilon progress {int(last['epsilon_progress'])}, hypervolume "
             f"{last['hypervolume']:.3f})", ""]
    head = ["point", *(o.metric for o in spec.objectives)]
    rows = [[str(r["point"]), *(objective_text(o, r[o.metric]) for o in spec.objectives)]
            for _, r in front.head(12).iterrows()]
    lines += [f"The front ({min(12, len(front))} of {len(front)} points, cheapest first; all in front.csv):",
              text_table(head, rows)]
    if len(places):
        rows = [[r["policy"], *(objective_text(o, r[o.metric]) for o in spec.objectives),
                 r["status"] if r["gap_epsilons"] <= 0 else
                 f"{r['status']}: point {r['nearest_point']} better on all by {r['gap_epsilons']:.1f} eps"]
                for _, r in places.sort_values("gap_epsilons").iterrows()]
        lines += ["", "The policies, same seeds (eps: each objective's epsilon):",
                  text_table(["policy", *(o.metric for o in spec.objectives), "against the front"], rows)]
    lines += ["", f"wrote {root}/front.csv, front.parquet, convergence.csv, policies.csv, evaluations.parquet",
              f"wrote {len(files)} scenario file{'s' if len(files) != 1 else ''} in {root}/front/; compare one with "
              f"the base: crmsim compare {base} {files[0] if files else root / 'front' / 'point_01.toml'}",
              f"wrote {root}/frontier.html (open it in any browser, offline)"]
    return "\n".join(lines)
