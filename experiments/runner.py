"""The sweep: an experiment's runs, sent in chunks to an evaluator, saved as each chunk finishes.

Run ``i`` is design point ``i // replications``, replicate ``i % replications``,
with the seed :func:`experiments.seeds.replicate_seed` gives for ``(master seed,
replicate)``: the same at every design point (common random numbers), so runs
of one replicate are paired across points. A sweep writes the manifest and the
design first, then one Parquet part per finished chunk, marked with the
sweep's identity (a hash of the spec, the base scenario and the way seeds are
drawn). Resuming reads which run ids the parts hold and runs only the others;
the manifest must describe the same experiment (same spec, same base
scenario, same design, same way of drawing seeds), or the sweep refuses to mix
the two. A part that cannot be read is moved to ``damaged/`` and its runs are
run again; a part that belongs to another sweep is refused.

A new sweep that fails or is stopped before saving any run leaves nothing
behind, so running it again needs no ``--resume``. The sweep is interrupted
by KeyboardInterrupt (Ctrl-C, or SIGTERM through
:mod:`experiments.interrupt`): the session is closed in the manifest with the
outcome "interrupted" and the finished chunks stay saved.

Examples
--------
>>> import tempfile
>>> from crmsim.experiments.spec import parse_experiment
>>> from crmsim.experiments.evaluators import SequentialEvaluator
>>> exp = parse_experiment({"name": "tiny", "scenario": {"population": {"n_citizens": 50, "prescribers_per_1000": 40}},
...                         "steps": 2, "vary": {"faq_quality": [0.0, 0.5]}})
>>> with SequentialEvaluator() as ev:
...     result = run_sweep(exp, tempfile.mkdtemp(), ev)
>>> result.total, result.ran
(2, 2)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pandas as pd

from crmsim.experiments.design import Design
from crmsim.experiments.evaluators.base import Evaluator
from crmsim.experiments.execute import SCENARIO_FACTOR, Chunk, RunTask, run_chunk
from crmsim.experiments.seeds import SCHEME, replicate_seed
from crmsim.experiments.provenance import STAMP_KEY, first_value_change, model_stamp, resolved_values, stamp_change
from crmsim.experiments.spec import Experiment
from crmsim.experiments.store import ResultStore, StoreError, code_version, now, package_versions
from crmsim.model.scenario import changes_world

__all__ = ["SweepResult", "preflight", "tasks_for", "task_for", "design_frame", "chunk_sizes", "world_of_points", "plan_chunks",
           "run_sweep", "identity"]


@dataclass(frozen=True)
class SweepResult:
    """What a sweep did: runs in the experiment, already done before, run now, and how long it took."""

    root: Path
    total: int
    done_before: int
    ran: int
    seconds: float

    @property
    def complete(self) -> bool:
        return self.done_before + self.ran == self.total


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value (scenario validation is strict about types)."""
    return value.item() if hasattr(value, "item") else value


def task_for(run_id: int, point_values: dict[str, Any], replications: int, master_seed: int) -> RunTask:
    """The task of run ``run_id`` given its design point's values; its seed depends on its replicate only."""
    point, replicate = divmod(run_id, replications)
    values = tuple((name, _plain(v)) for name, v in point_values.items())
    return RunTask(run_id=run_id, point=point, replicate=replicate, seed=replicate_seed(master_seed, replicate),
                   values=values)


def tasks_for(experiment: Experiment) -> Iterator[RunTask]:
    """Every run of the experiment, in run id order."""
    reps = experiment.spec.replications
    for point, values in enumerate(experiment.design.points):
        for replicate in range(reps):
            yield task_for(point * reps + replicate, values, reps, experiment.spec.seed)


def design_frame(design: Design) -> pd.DataFrame:
    """One row per design point: ``point``, each factor's value, and ``x:<factor>`` sampler coordinates."""
    frame = pd.DataFrame(design.points, columns=[f.name for f in design.factors])
    frame.insert(0, "point", range(len(design.points)))
    if design.X is not None:
        for j, factor in enumerate(design.factors):
            frame[f"x:{factor.name}"] = design.X[:, j]
    return frame


MAX_CHUNK = 25
BALANCE = 4  # at least this many chunks per worker, when the runs allow it


def chunk_sizes(pending: int, workers: int, chunk_size: int | None = None) -> list[int]:
    """How many runs go in each chunk of runs that share nothing, in order.

    With ``chunk_size``, every chunk has that many (the last one what is left).
    Otherwise the sizes shrink as the sweep nears its end (guided scheduling):
    each chunk takes a 1/(10 x workers) share of the runs still to hand out, at
    most 25 and at least 1.

    >>> sizes = chunk_sizes(100, 2)
    >>> sizes[:5], sizes[-3:], sum(sizes)
    ([5, 4, 4, 4, 4], [1, 1, 1], 100)
    >>> chunk_sizes(7, 2, chunk_size=3)
    [3, 3, 1]
    """
    sizes, left = [], pending
    while left > 0:
        size = chunk_size or max(1, min(MAX_CHUNK, left // (10 * max(1, workers))))
        size = min(size, left)
        sizes.append(size)
        left -= size
    return sizes


def world_of_points(experiment: Experiment) -> list[int]:
    """Each design point's world, as a small integer: points with the same one can share warm-ups.

    Two points share a world when they differ only in factors that leave the
    scenario's world alone (policy, levers, steps: ``changes_world``) and, for
    ``vary.scenario``, name files whose scenarios have the same world.
    Reading the factor paths, not building each point's scenario, keeps this
    quick for designs of many thousand points.
    """
    world_factors = [f.name for f in experiment.factors
                     if f.name != SCENARIO_FACTOR and changes_world(experiment.paths[f.name])]
    file_worlds = {label: s.world_key() for label, s in experiment.scenarios.items()}
    ids: dict[tuple[Any, ...], int] = {}
    worlds = []
    for values in experiment.design.points:
        key = tuple(json.dumps(_plain(values[name]), default=str) for name in world_factors)
        if SCENARIO_FACTOR in values:
            key += (file_worlds[values[SCENARIO_FACTOR]],)
        worlds.append(ids.setdefault(key, len(ids)))
    return worlds


def _split(ids: list[int], pieces: int) -> list[list[int]]:
    """``ids`` in ``pieces`` consecutive runs of sizes differing by at most one."""
    size, extra = divmod(len(ids), pieces)
    out, at = [], 0
    for k in range(pieces):
        n = size + (k < extra)
        out.append(ids[at:at + n])
        at += n
    return out


def plan_chunks(experiment: Experiment, done: set[int], workers: int, chunk_size: int | None = None, *,
                share_warmups: bool = True) -> list[list[int]]:
    """The run ids of each chunk, in the order they are sent: one chunk per (world, replicate).

    Replicate r of every design point has the same seed (common random
    numbers), so the runs of one world and one replicate start from the same
    warmed-up model: a worker warms it up once and branches it into each of
    them (``execute.run_chunk``). A chunk holds at most ``chunk_size`` runs
    (default 25), so a killed sweep loses little and a part stays small.

    Balance: when that gives fewer than 4 chunks per worker (a Sobol design
    varying only levers, with few replicates), each (world, replicate) group
    is split into as many equal chunks as it takes to reach 4 per worker,
    each warming up its own copy; that costs one warm-up per extra chunk, and
    it keeps every core busy until the last chunks. Chunks go out in world
    order, so the time left estimated from the first ones holds for the rest.

    >>> from crmsim.experiments.spec import parse_experiment
    >>> exp = parse_experiment({"name": "x", "scenario": {"population": {"n_citizens": 50, "prescribers_per_1000": 40}},
    ...                         "steps": 2, "replications": 2, "vary": {"faq_quality": [0.0, 0.5, 0.9]}})
    >>> plan_chunks(exp, set(), workers=1)   # 2 groups of 3 runs: split to reach 4 chunks
    [[0, 2], [4], [1, 3], [5]]
    >>> plan_chunks(exp, {0, 1}, workers=1, chunk_size=1)
    [[2], [4], [3], [5]]

    With ``share_warmups=False`` (every run warms up its own model, as
    before, for benchmarks and checks), the pending runs go in run id order,
    in the shrinking chunks of ``chunk_sizes``.
    """
    reps = experiment.spec.replications
    if not share_warmups:
        pending = iter([i for i in range(experiment.n_runs) if i not in done])
        return [[next(pending) for _ in range(size)]
                for size in chunk_sizes(experiment.n_runs - len(done), workers, chunk_size)]
    by_world: dict[int, list[int]] = {}
    for point, world in enumerate(world_of_points(experiment)):
        by_world.setdefault(world, []).append(point)
    groups = []
    for points in by_world.values():
        for replicate in range(reps):
            ids = [p * reps + replicate for p in points if p * reps + replicate not in done]
            if ids:
                groups.append(ids)
    most = chunk_size or MAX_CHUNK
    want = BALANCE * max(1, workers)
    pieces_each = 1 if len(groups) >= want or chunk_size else -(-want // max(1, len(groups)))
    chunks = []
    for ids in groups:
        pieces = min(len(ids), max(pieces_each, -(-len(ids) // most)))
        chunks.extend(_split(ids, pieces))
    return chunks


def work_shares(experiment: Experiment, sizes: list[int]) -> list[float]:
    """Each chunk's share of the work, counted in simulated weeks: one warm-up, then its runs.

    A chunk's first run also pays for the warm-up, so runs are not all equal:
    a progress bar that counted runs only would promise too much once the
    chunks get smaller. Weeks cost about the same warm-up or not, so a chunk
    of n runs is ``warmup + n x steps`` weeks (the base scenario's, and the
    experiment's steps).

    >>> from crmsim.experiments.spec import parse_experiment
    >>> exp = parse_experiment({"name": "x", "scenario": {"warmup": 30}, "steps": 10, "vary": {"faq_quality": [0.0]}})
    >>> [round(share, 3) for share in work_shares(exp, [2, 1])]   # 30 + 2 x 10 of 90 weeks, then 30 + 10
    [0.556, 0.444]
    """
    warmup, steps = experiment.base.warmup, experiment.base.steps
    weeks = [warmup + n * steps for n in sizes]
    total = sum(weeks) or 1
    return [w / total for w in weeks]


def _fingerprint(experiment: Experiment) -> dict[str, Any]:
    """What defines the sweep's rows: the spec, the scenarios as written, the model that runs them
    (:func:`~experiments.provenance.model_stamp`) and every value they resolve to, defaults and policy levers
    included (so a policy's levers edited in the code are noticed although no file changed)."""
    spec = experiment.spec.model_dump(mode="json", exclude={"description"})
    fingerprint = {"spec": spec, "base_scenario": _dump(experiment.base), STAMP_KEY: model_stamp(),
                   "resolved": {"base": resolved_values(experiment.base)}}
    if experiment.scenarios:  # vary.scenario: the files' contents, so an edited file is noticed
        fingerprint["scenarios"] = {label: _dump(s) for label, s in experiment.scenarios.items()}
        fingerprint["resolved"].update({label: resolved_values(s) for label, s in experiment.scenarios.items()})
    return fingerprint


def _dump(scenario: Any) -> dict[str, Any]:
    return scenario.model_dump(mode="json", exclude_none=True)


def identity(experiment: Experiment) -> str:
    """A hash of what defines the sweep's rows: spec, base scenario, and how seeds are drawn.

    Written in the manifest and in every part's metadata, so a reader can tell
    a part of this sweep from a part of another one copied into its folder.
    """
    text = json.dumps({**_fingerprint(experiment), "seeds": SCHEME}, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _new_manifest(experiment: Experiment) -> dict[str, Any]:
    fingerprint = _fingerprint(experiment)
    return {
        "experiment": experiment.name,
        "identity": identity(experiment),
        "description": experiment.spec.description,
        "spec_file": experiment.source,
        "spec": fingerprint["spec"],
        "base_scenario": fingerprint["base_scenario"],
        "scenarios": fingerprint.get("scenarios", {}),
        STAMP_KEY: fingerprint[STAMP_KEY],
        "resolved": fingerprint["resolved"],
        "factors": [f.to_dict() for f in experiment.factors],
        "paths": experiment.paths,
        "design": experiment.spec.design.model_dump(mode="json"),
        "master_seed": experiment.spec.seed,
        "seeds": SCHEME,
        "replications": experiment.spec.replications,
        "points": experiment.n_points,
        "run_count": experiment.n_runs,
        "every_step": list(experiment.spec.outputs.every_step),
        "final": experiment.spec.outputs.final,
        "code_version": code_version(),
        "packages": package_versions(),
        "started": now(),
        "finished": None,
        "sessions": [],
    }


def _check_same(store: ResultStore, manifest: dict[str, Any], experiment: Experiment) -> None:
    if manifest.get("seeds") != SCHEME:
        raise StoreError(f"{store.root}: this sweep drew its seeds another way ({manifest.get('seeds')}); "
                         f"finish it with the code that started it (version {manifest.get('code_version')}), "
                         f"or sweep into another --out")
    fingerprint = _fingerprint(experiment)
    model = stamp_change(manifest.get(STAMP_KEY), fingerprint[STAMP_KEY])
    if model is not None:
        raise StoreError(f"{store.root}: these runs were made by another model: {model}; {FRESH_HINT}")
    for key in ("spec", "base_scenario", "scenarios"):
        if manifest.get(key, {}) != fingerprint.get(key, {}):
            what = {"spec": "experiment file", "base_scenario": "base scenario", "scenarios": "scenario files"}[key]
            raise StoreError(f"{store.root}: the {what} changed since this sweep started ({experiment.source}); "
                             f"{FRESH_HINT}")
    then = manifest.get("resolved", {})
    for label, values in fingerprint["resolved"].items():
        changed = first_value_change(then.get(label) if isinstance(then, dict) else None, values)
        if changed is not None:
            where = "the base scenario" if label == "base" else label
            raise StoreError(f"{store.root}: a value {where} runs with changed in the model's code, not in a file: "
                             f"{changed}; {FRESH_HINT}")
    try:
        stored = store.read_design(manifest)
    except StoreError as err:
        raise StoreError(f"{err}; {FRESH_HINT}") from None
    fresh = design_frame(experiment.design)
    if list(stored.columns) != list(fresh.columns) or not stored.astype(object).equals(fresh.astype(object)):
        raise StoreError(f"{store.root}: the design differs from the stored design.parquet (another SALib "
                         f"version?); sweep into another --out")


# What a refused resume says to do: --fresh starts the runs again (compare and sweep), another --out keeps them.
FRESH_HINT = "add --fresh to run them again with today's model, or use another --out to keep them"


def _warn(message: str) -> None:
    print(f"crmsim: warning: {message}", file=sys.stderr, flush=True)


def preflight(experiment: Experiment, out: str | Path, resume: bool) -> int:
    """Check the results folder before any worker starts; return how many runs are already saved.

    Raises StoreError when the folder cannot be written, holds a sweep and
    ``resume`` is false, or holds a different experiment, or parts that do
    not belong to it. Unreadable parts are not counted (the sweep moves them
    aside).
    """
    store = ResultStore(Path(out) / experiment.name)
    if not store.exists():
        if store.part_files():
            raise StoreError(f"{store.root}: holds result parts but no manifest.json; sweep into another --out")
        store.check_writable()
        return 0
    if not resume:
        raise StoreError(f"{store.root}: already holds a sweep; add --resume to finish it, --fresh to run it again, "
                         f"or sweep into another --out")
    manifest = store.read_manifest()
    _check_same(store, manifest, experiment)
    return len(store.check_parts(manifest, damaged="skip").run_ids)


def run_sweep(experiment: Experiment, out: str | Path, evaluator: Evaluator, *, resume: bool = False,
              chunk_size: int | None = None, on_start: Callable[[int, int], None] | None = None,
              on_progress: Callable[[int, float], None] | None = None,
              on_warning: Callable[[str], None] = _warn, share_warmups: bool = True,
              only: set[int] | None = None) -> SweepResult:
    """Run the experiment's unfinished runs on a started evaluator, into ``out/<experiment name>/``.

    ``on_start(total, done_before)`` is called once the finished runs are known;
    ``on_progress(n, share)`` after each saved chunk of ``n`` runs that was
    ``share`` of this session's work (``work_shares``); ``on_warning(text)``
    for a damaged part moved aside (default: a line on stderr). Runs of one
    world and replicate share a warm-up (``plan_chunks``); with
    ``share_warmups=False`` each run warms up its own model, giving the same
    rows more slowly (for benchmarks and checks). With ``only``, just those run
    ids are run (a sequential comparison's next look), the others left for
    later; ``total`` then counts them. Raises
    StoreError if the folder already holds a sweep and ``resume`` is false,
    or holds another experiment.
    """
    store = ResultStore(Path(out) / experiment.name)
    with store.lock():
        new = not store.exists()
        try:
            return _sweep(experiment, store, evaluator, resume, chunk_size, on_start, on_progress, on_warning,
                          share_warmups, only)
        except BaseException:
            if new and store.exists() and not store.part_files():
                store.discard()  # nothing saved: leave nothing that would need --resume
            raise


def _sweep(experiment: Experiment, store: ResultStore, evaluator: Evaluator, resume: bool, chunk_size: int | None,
           on_start: Callable[[int, int], None] | None, on_progress: Callable[[int, float], None] | None,
           on_warning: Callable[[str], None], share_warmups: bool, only: set[int] | None) -> SweepResult:
    if store.exists():
        if not resume:
            raise StoreError(f"{store.root}: already holds a sweep; add --resume to finish it, "
                             f"or sweep into another --out")
        manifest = store.read_manifest()
        _check_same(store, manifest, experiment)
    else:
        if store.part_files():
            raise StoreError(f"{store.root}: holds result parts but no manifest.json; sweep into another --out")
        manifest = _new_manifest(experiment)
        store.write_design(design_frame(experiment.design))
        store.write_manifest(manifest)
    store.remove_temporary()
    check = store.check_parts(manifest, damaged="set_aside")
    for part, moved, reason in check.set_aside:
        on_warning(f"{part}: damaged, cannot be read ({reason}); moved to {moved}; its runs will be run again")
    saved = set(check.run_ids.tolist())
    wanted = set(range(experiment.n_runs)) if only is None else set(only)
    done, left_for_later = saved & wanted, set(range(experiment.n_runs)) - wanted
    total = len(wanted)
    if on_start is not None:
        on_start(total, len(done))

    session: dict[str, Any] = {"started": now(), "backend": evaluator.describe(), "runs_to_do": total - len(done),
                               "code_version": code_version(), "finished": None}
    if check.set_aside:
        session["set_aside"] = [str(moved) for _, moved, _ in check.set_aside]
    store.update_manifest(lambda m: m["sessions"].append(session))
    plan = plan_chunks(experiment, saved | left_for_later, evaluator.workers, chunk_size,
                       share_warmups=share_warmups)
    sizes = [len(ids) for ids in plan]
    shares = work_shares(experiment, sizes) if share_warmups else [n / sum(sizes) for n in sizes]
    points, reps, seed = experiment.design.points, experiment.spec.replications, experiment.spec.seed
    shared = dict(base=manifest["base_scenario"], scenarios=tuple(manifest.get("scenarios", {}).items()),
                  paths=tuple(experiment.paths.items()),
                  every_step=tuple(experiment.spec.outputs.every_step), final=tuple(experiment.spec.outputs.final),
                  share_warmups=share_warmups)
    # Tasks are made as the evaluator asks for chunks: a big sweep never holds every task at once.
    chunks = (Chunk(**shared, tasks=tuple(task_for(i, points[i // reps], reps, seed) for i in ids)) for ids in plan)
    mark = {"identity": manifest.get("identity"), "experiment": experiment.name}

    ran, started, outcome = 0, time.perf_counter(), "interrupted"
    try:
        for index, frame in evaluator.map_chunks(run_chunk, chunks):
            store.write_part(frame, **mark)
            ran += sizes[index]
            if on_progress is not None:
                on_progress(sizes[index], shares[index])
        outcome = "complete"
    except KeyboardInterrupt as err:  # Ctrl-C, or SIGTERM (experiments.interrupt)
        outcome = f"interrupted ({err.args[0] if err.args else 'Ctrl-C'})"
        raise
    except BaseException as err:
        outcome = f"stopped: {type(err).__name__}: {err}".splitlines()[0]
        raise
    finally:
        seconds = time.perf_counter() - started
        # A stop can land between a part's rename and the count above: the parts on disk are the truth.
        with contextlib.suppress(StoreError):
            ran = len(store.done_run_ids() & wanted) - len(done)

        def close_session(m: dict[str, Any]) -> None:
            m["sessions"][-1].update(finished=now(), runs_done=ran, seconds=round(seconds, 3), outcome=outcome)
            if outcome == "complete" and len(saved) + ran == experiment.n_runs:
                m["finished"] = m["sessions"][-1]["finished"]

        store.update_manifest(close_session)
    return SweepResult(store.root, total, len(done), ran, seconds)
