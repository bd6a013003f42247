"""The efficiency frontier: the lever settings no other setting beats on every objective at once.

A workshop's first question is "for the same money, what works best?". A
frontier file (``experiments/frontier.toml``) is an experiment file whose
``[vary]`` lists the levers the search may move, with a ``[search]`` section
naming the objectives (public cost, non-take-up of the least skilled quarter,
lost users, mean trust ...), each with its epsilon (the smallest difference
the search tells apart), and a budget of evaluations. EMA Workbench's
many-objective search (epsilon-NSGA-II, Kollat and Reed 2006, run by
platypus-opt) looks for the Pareto front: settings where doing better on one
objective means doing worse on another.

Each evaluation of a setting runs ``replications`` runs with the seeds of
replicates 0, 1, ... (common random numbers: the same people, network and
warm-up for every setting), and its objectives are their means. Levers change
no world, so every run of replicate ``r`` starts from the same warmed-up
model: each worker keeps it (:data:`WARM_KEPT` of them) and branches it
(``CrmModel.branch``, bit for bit a fresh run), so a search of thousands of
runs pays a handful of warm-ups.

Restart: the search is a deterministic function of its seed and of what its
evaluations return, and every evaluation is saved (``evaluations.parquet``)
as its generation ends. So ``--resume`` replays the search from its seed,
reading saved outcomes instead of running them, and carries on where it
stopped, to the same front as a search never stopped.

Randomness: platypus draws from the standard library's global ``random``; the
search seeds it from the file's seed (as EMA's ``optimize`` does) and saves
and restores its state around each generation's runs, so nothing else in the
process (a Dask scheduler thread) can move it. The model never uses it.
"""

from __future__ import annotations

import json
import math
import random
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crmsim.experiments.limits import MAX_RUNS
from crmsim.experiments.seeds import replicate_seed
from crmsim.experiments.spec import Experiment, SpecError, parse_experiment
from crmsim.model.metrics import INFO, METRICS
from crmsim.model.policies import POLICIES
from crmsim.model.scenario import Scenario, changes_world, field_path, parse_scenario
from crmsim.model.text import read_toml

__all__ = ["Frontier", "SearchSpec", "load_frontier", "parse_frontier", "EvaluationLog", "FrontierSearch",
           "SearchResult", "evaluate_chunk", "CandidateChunk", "epsilon_gap", "nondominated", "WARM_KEPT",
           "evaluations_problem",
           "ema_problem", "optimise", "hypervolumes", "placements", "values_of", "status"]

WARM_KEPT = 4  # warmed-up models a worker keeps (one per replicate in use); a 1000-citizen one is a few MB
MAX_EVALUATIONS = 200_000
_STRICT = ConfigDict(extra="forbid", strict=True)


class _Objective(BaseModel):
    model_config = _STRICT
    epsilon: float = Field(gt=0, description="the smallest difference the search tells apart, in the metric's unit")


class SearchSpec(BaseModel):
    """The ``[search]`` section of a frontier file."""

    model_config = _STRICT
    evaluations: int = Field(ge=1, le=MAX_EVALUATIONS)
    population: int = Field(default=50, ge=4, le=2000)
    snapshot_every: int = Field(default=100, ge=1, le=MAX_EVALUATIONS)
    objectives: dict[str, _Objective]
    policies: list[str] = Field(default_factory=list)


_SEARCH_ALLOWED = {
    "evaluations": f"a whole number of lever settings to try, 1 to {MAX_EVALUATIONS:,}",
    "population": "a whole number of settings per generation, 4 to 2000",
    "snapshot_every": "a whole number of evaluations between two snapshots of the front",
    "objectives": "a table of metrics, each with its epsilon, e.g. lost_users = { epsilon = 0.005 }",
    "epsilon": "a number above 0, in the metric's unit",
    "policies": "a list of policy names (crmsim policies), placed against the front",
}


class FrontierError(SpecError):
    """A frontier file that cannot be searched; one line naming the file, the field and what is allowed."""


@dataclass(frozen=True)
class Objective:
    """A metric to push down (``lower``) or up (``higher``); ``epsilon`` is its resolution."""

    metric: str
    direction: str
    epsilon: float

    def better(self, a: float, b: float) -> float:
        """How much better ``a`` is than ``b`` (negative: worse), in the metric's unit."""
        return b - a if self.direction == "lower" else a - b


@dataclass(frozen=True)
class Frontier:
    """A validated frontier file: the experiment part (base, levers, seeds) and the search part."""

    experiment: Experiment
    search: SearchSpec
    objectives: tuple[Objective, ...]

    @property
    def name(self) -> str:
        return self.experiment.name

    @property
    def levers(self) -> dict[str, str]:
        """Each searched lever's short name (a column of the front) and its scenario field."""
        return {field_path(path)[-1]: path for path in self.experiment.paths.values()}

    @property
    def replications(self) -> int:
        return self.experiment.spec.replications

    def identity(self) -> str:
        """What defines the search's outcomes, to refuse a resume with an edited file."""
        from crmsim.experiments.runner import identity

        return json.dumps({"experiment": identity(self.experiment), "search": self.search.model_dump()},
                          sort_keys=True)


def _search_error(source: str, err: ValidationError) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    last = str(first["loc"][-1]) if first["loc"] else ""
    allowed = _SEARCH_ALLOWED.get(last) or _SEARCH_ALLOWED.get(str(first["loc"][0]), "see experiments/frontier.toml")
    if first["type"] == "extra_forbidden":
        return (f"{source}: search.{loc}: unknown field; allowed: " + ", ".join(SearchSpec.model_fields))
    if first["type"] == "missing":
        return f"{source}: search.{loc}: missing; expected {allowed}"
    return f"{source}: search.{loc}: got {first.get('input')!r} ({first['msg'].lower()}); allowed: {allowed}"


def _objectives(search: SearchSpec, source: str) -> tuple[Objective, ...]:
    if len(search.objectives) < 2:
        raise FrontierError(f"{source}: search.objectives: got {len(search.objectives)}; allowed: at least 2 "
                            f"metrics (a front trades one against another)")
    out = []
    for name, spec in search.objectives.items():
        if name not in METRICS or INFO[name].direction not in ("lower", "higher"):
            known = ", ".join(m for m in METRICS if INFO[m].direction in ("lower", "higher"))
            raise FrontierError(f"{source}: search.objectives.{name}: not a metric with a direction; allowed: "
                                f"{known}")
        out.append(Objective(name, INFO[name].direction, spec.epsilon))
    return tuple(out)


def parse_frontier(data: dict[str, Any], source: str = "<frontier>", base_dir: str | Path = ".") -> Frontier:
    """Validate a frontier file given as a dict; FrontierError (one line) if it cannot be searched."""
    data = dict(data)
    search_data = data.pop("search", None)
    if not isinstance(search_data, dict):
        raise FrontierError(f"{source}: search: missing; expected a [search] table with evaluations and objectives")
    for unused, why in (("design", "the search chooses the points"), ("outputs", "the objectives are the outputs")):
        if unused in data:
            raise FrontierError(f"{source}: {unused}: not used by a frontier ({why}); remove it")
    try:
        search = SearchSpec.model_validate(search_data)
    except ValidationError as err:
        raise FrontierError(_search_error(source, err)) from None
    objectives = _objectives(search, source)
    if search.population > search.evaluations:
        raise FrontierError(f"{source}: search.population: {search.population} is above evaluations "
                            f"{search.evaluations}; allowed: at most the evaluations (a first generation is "
                            f"evaluated whole)")
    for i, name in enumerate(search.policies):
        if name not in POLICIES:
            raise FrontierError(f"{source}: search.policies[{i}]: unknown policy {name!r}; allowed: "
                                + ", ".join(POLICIES))
    # A frontier is an experiment with one replicate set per point; the design is the search's, so any valid
    # design kind lets the experiment part be checked by the same rules as a sweep's.
    data["design"] = {"kind": "latin_hypercube", "samples": 1}
    try:
        experiment = parse_experiment(data, source, base_dir)
    except FrontierError:
        raise
    except SpecError as err:
        raise FrontierError(str(err)) from None
    if not experiment.factors:
        raise FrontierError(f"{source}: vary: nothing to search; allowed: levers with a range or a list of values")
    runs = (search.evaluations + len(search.policies)) * experiment.spec.replications
    if runs > MAX_RUNS:
        raise FrontierError(f"{source}: search.evaluations: {search.evaluations:,} settings (and "
                            f"{len(search.policies)} policies) x {experiment.spec.replications:,} replications make "
                            f"{runs:,} runs; allowed: at most {MAX_RUNS:,} runs, as for a sweep (a million runs of "
                            f"half a second are six days on 2 cores): fewer evaluations or replications")
    for factor in experiment.factors:
        path = experiment.paths.get(factor.name, factor.name)
        if path in ("policy", "scenario") or changes_world(path):
            raise FrontierError(f"{source}: vary.{factor.name}: changes the world, not a lever; allowed: levers.* "
                                f"and costs.* (the search compares settings on the same people)")
    return Frontier(experiment=experiment, search=search, objectives=objectives)


def load_frontier(path: str | Path) -> Frontier:
    """Read and validate a frontier file; its ``scenario`` path is relative to the file."""
    path = Path(path)
    data = read_toml(path, "frontier file", FrontierError)
    return parse_frontier(data, str(path), path.parent)


# --- what a worker does ----------------------------------------------------------------------------

@dataclass(frozen=True)
class CandidateChunk:
    """Runs sent to a worker at once: the base scenario, then (lever values by field, seed) for each run."""

    base: dict[str, Any]
    items: tuple[tuple[tuple[tuple[str, Any], ...], int], ...]
    metrics: tuple[str, ...]


_WARM: "OrderedDict[tuple[str, int], Any]" = OrderedDict()


def _warmed(scenario: Scenario, seed: int) -> Any:
    """This worker's warmed-up model of ``scenario``'s world and ``seed``, built the first time it is asked for."""
    from crmsim.model.model import CrmModel

    key = (scenario.world_key(), seed)
    model = _WARM.pop(key, None)
    if model is None:
        model = CrmModel(scenario, rng=seed)
    _WARM[key] = model
    while len(_WARM) > WARM_KEPT:
        _WARM.popitem(last=False)
    return model


def evaluate_chunk(chunk: CandidateChunk) -> list[list[float]]:
    """Each run's final value of every metric in ``chunk.metrics``, in the order of ``chunk.items``."""
    base = parse_scenario(chunk.base, "<frontier base>")
    out = []
    for values, seed in chunk.items:
        scenario = base.with_values(dict(values), source="<frontier setting>")
        model = _warmed(scenario, seed).branch(scenario)
        model.run(record=False)
        final = model.final_metrics()
        out.append([float(final[m]) for m in chunk.metrics])
    return out


# --- the log of evaluations ------------------------------------------------------------------------

def _key(values: Iterable[Any]) -> str:
    return json.dumps([v.item() if isinstance(v, np.generic) else v for v in values])


class EvaluationLog:
    """Every setting evaluated so far, with its objectives' means and standard errors, in order."""

    def __init__(self, levers: list[str], metrics: list[str], rows: pd.DataFrame | None = None) -> None:
        self.levers, self.metrics = levers, metrics
        self._rows: dict[str, dict[str, Any]] = {}
        if rows is not None:
            for row in rows.to_dict("records"):
                self._rows[_key(row[lever] for lever in levers)] = row

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, values: list[Any]) -> dict[str, Any] | None:
        return self._rows.get(_key(values))

    def add(self, values: list[Any], runs: np.ndarray) -> dict[str, Any]:
        """Record a setting's runs (replicates in rows, metrics in columns); return its row."""
        row: dict[str, Any] = {"evaluation": len(self._rows), **dict(zip(self.levers, values))}
        for j, metric in enumerate(self.metrics):
            column = runs[:, j]
            row[metric] = float(np.mean(column))
            row[f"{metric}_se"] = float(np.std(column, ddof=1) / math.sqrt(len(column))) if len(column) > 1 \
                else float("nan")
        self._rows[_key(values)] = row
        return row

    def columns(self) -> list[str]:
        return ["evaluation", *self.levers, *self.metrics, *(f"{m}_se" for m in self.metrics)]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(list(self._rows.values()), columns=self.columns())


def evaluations_problem(frame: pd.DataFrame, frontier: Frontier) -> str | None:
    """Why a saved log of evaluations is not one this search writes ('field: problem; allowed: ...'), or None.

    It must have the log's columns in order, the evaluations numbered 0, 1, ... each once, each setting once,
    every lever value inside the file's range or list, every objective finite and inside what its metric can
    be (:attr:`~model.metrics.MetricInfo.bounds`), and every standard error finite and not negative (NaN with
    one replication): a cost of EUR -1,000 or a NaN is never served as a point of the front.
    """
    log = EvaluationLog(list(frontier.levers), [o.metric for o in frontier.objectives])
    if list(frame.columns) != log.columns():
        odd = next((c for c in log.columns() if c not in frame.columns), None)
        return (f"column {odd}: missing" if odd else f"columns {', '.join(map(str, frame.columns))}") + \
            f"; allowed: {', '.join(log.columns())}"
    numbers = pd.to_numeric(frame["evaluation"], errors="coerce")
    if not numbers.tolist() == list(range(len(frame))):
        return f"evaluation: got {frame['evaluation'].tolist()[:6]}; allowed: 0 to {len(frame) - 1} in order"
    for name, factor in zip(frontier.levers, frontier.experiment.factors):
        for i, value in enumerate(frame[name].tolist()):
            inside = value in factor.values if factor.values is not None else (
                isinstance(value, (int, float)) and not isinstance(value, bool) and factor.low <= value <= factor.high)
            if not inside:
                allowed = factor.values if factor.values is not None else f"{factor.low:g} to {factor.high:g}"
                return f"evaluation {i}: {name} = {value!r}; allowed: {allowed} (vary.{frontier.levers[name]})"
    keys = [_key(row) for row in frame[list(frontier.levers)].itertuples(index=False)]
    if len(set(keys)) != len(keys):
        return f"evaluation {next(i for i, k in enumerate(keys) if keys.index(k) != i)}: a setting evaluated twice; " \
               f"allowed: each setting once"
    for objective in frontier.objectives:
        low, high = INFO[objective.metric].bounds
        for column, (lo, hi) in ((objective.metric, (low, high)), (f"{objective.metric}_se", (0.0, math.inf))):
            values = pd.to_numeric(frame[column], errors="coerce").to_numpy(float)
            nan_ok = column.endswith("_se") and frontier.replications == 1
            bad = (np.isnan(values) & (not nan_ok)) | np.isinf(values) | (values < lo) | (values > hi)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                return (f"evaluation {i}: {column} = {frame[column].tolist()[i]!r}; allowed: a finite number from "
                        f"{lo:g} to {hi:g}")
    return None


# --- EMA Workbench's side --------------------------------------------------------------------------

def _ema() -> Any:
    """EMA Workbench, imported without its warnings about optional backends it does not need here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"ema_workbench(\.|$)")
        import ema_workbench
    return ema_workbench


def ema_problem(frontier: Frontier, function: Callable[..., dict[str, float]] | None = None) -> Any:
    """An EMA model of the search: the varied levers as EMA levers, the objectives as EMA outcomes."""
    ema = _ema()
    model = ema.Model(frontier.name.replace("-", "_"), function=function or _not_called)
    levers = []
    for (name, path), factor in zip(frontier.levers.items(), frontier.experiment.factors):
        if factor.values is not None:  # searched as the index of its value: see values_of
            levers.append(ema.IntegerParameter(name, 0, len(factor.values) - 1))
        elif factor.integer:
            levers.append(ema.IntegerParameter(name, int(factor.low), int(factor.high)))
        else:
            levers.append(ema.RealParameter(name, float(factor.low), float(factor.high)))
    model.levers = levers
    kinds = {"lower": ema.ScalarOutcome.MINIMIZE, "higher": ema.ScalarOutcome.MAXIMIZE}
    model.outcomes = [ema.ScalarOutcome(o.metric, kind=kinds[o.direction]) for o in frontier.objectives]
    return model


def values_of(frontier: Frontier, sample: Any) -> list[Any]:
    """A setting's lever values from what EMA hands over (``sample[name]``).

    A lever with listed values (true/false) is searched as the index of its value: EMA Workbench 3.0's
    categorical levers do not survive its own decoding (``process_jobs`` builds a ragged array from them).
    """
    out = []
    for name, factor in zip(frontier.levers, frontier.experiment.factors):
        raw = _plain(sample[name])
        out.append(factor.values[int(raw)] if factor.values is not None else raw)
    return out


def _not_called(**_levers: Any) -> dict[str, float]:
    raise RuntimeError("the frontier's evaluator runs the model itself")


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _evaluator_class() -> type:
    ema = _ema()

    class CrmsimEvaluator(ema.em_framework.evaluators.BaseEvaluator):
        """EMA's evaluator interface over crmsim's engines: each generation's settings, replicated, in chunks."""

        def __init__(self, model: Any, search: "FrontierSearch") -> None:
            super().__init__(model)
            self.search = search

        def initialize(self) -> None:
            """The engine is started by the search."""

        def finalize(self) -> None:
            """The engine is stopped by the search."""

        def evaluate_experiments(self, experiments: Any, callback: Callable, **_kwargs: Any) -> None:
            experiments = list(experiments)
            settings = [values_of(self.search.frontier, e.policy) for e in experiments]
            rows = self.search.evaluate(settings)
            for experiment, row in zip(experiments, rows):
                callback(experiment, {m: row[m] for m in self.search.metrics})

    return CrmsimEvaluator


@dataclass
class SearchResult:
    """What a search found: the front, the log of evaluations, the convergence, and the archive snapshots."""

    front: pd.DataFrame
    evaluations: pd.DataFrame
    convergence: pd.DataFrame
    snapshots: list[tuple[int, pd.DataFrame]]
    ran: int  # runs made in this session (a resumed search reads the others from its log)


class FrontierSearch:
    """One search: evaluates settings on an engine (crmsim's evaluators), logging each, and runs epsilon-NSGA-II.

    ``engine`` is a started :class:`experiments.evaluators.Evaluator`; ``log`` holds what earlier sessions
    evaluated; ``on_generation(log)`` is called after each generation's outcomes are logged (to save them);
    ``on_runs(n)`` after each chunk of runs (progress); ``chunk_size`` caps the runs sent to a worker at once
    (default: each replicate's runs of a generation cut so that every worker has two chunks).
    """

    def __init__(self, frontier: Frontier, engine: Any, log: EvaluationLog | None = None, *,
                 on_generation: Callable[[EvaluationLog], None] | None = None,
                 on_runs: Callable[[int], None] | None = None, chunk_size: int | None = None) -> None:
        self.frontier, self.engine, self.chunk_size = frontier, engine, chunk_size
        self.metrics = [o.metric for o in frontier.objectives]
        self.log = log or EvaluationLog(list(frontier.levers), self.metrics)
        self.on_generation, self.on_runs = on_generation, on_runs
        self.ran = 0
        base = frontier.experiment.base
        self._base = base.model_dump(mode="json", exclude_none=True)

    def _chunks(self, todo: list[list[Any]], paths: list[str]) -> list[tuple[CandidateChunk, list[tuple[int, int]]]]:
        """The runs of the settings ``todo`` (values of the fields ``paths``), by replicate, cut so that every
        worker has work."""
        reps = self.frontier.replications
        pieces = (math.ceil(len(todo) / self.chunk_size) if self.chunk_size else
                  max(1, math.ceil(2 * self.engine.workers / reps)))
        chunks = []
        for r in range(reps):
            seed = replicate_seed(self.frontier.experiment.spec.seed, r)
            for part in np.array_split(np.arange(len(todo)), min(pieces, len(todo))):
                items = tuple((tuple(zip(paths, todo[i])), seed) for i in part)
                chunks.append((CandidateChunk(self._base, items, tuple(self.metrics)), [(int(i), r) for i in part]))
        return chunks

    def run_settings(self, settings: list[list[Any]], paths: list[str] | None = None) -> np.ndarray:
        """Run every setting ``reps`` times; values[setting, replicate, metric]."""
        values = np.full((len(settings), self.frontier.replications, len(self.metrics)), np.nan)
        chunks = self._chunks(settings, paths or list(self.frontier.levers.values()))
        state = random.getstate()  # platypus's generator: nothing here may move it (see the module's note)
        try:
            for index, result in self.engine.map_chunks(evaluate_chunk, [c for c, _ in chunks]):
                for (i, r), row in zip(chunks[index][1], result):
                    values[i, r] = row
                self.ran += len(result)
                if self.on_runs is not None:
                    self.on_runs(len(result))
        finally:
            random.setstate(state)
        return values

    def evaluate(self, settings: list[list[Any]]) -> list[dict[str, Any]]:
        """Each setting's logged row, running those never evaluated before (duplicates once)."""
        todo, seen = [], set()
        for values in settings:
            key = _key(values)
            if self.log.get(values) is None and key not in seen:
                todo.append(values)
                seen.add(key)
        if todo:
            runs = self.run_settings(todo)
            for values, block in zip(todo, runs):
                self._check_defined(values, block)
                self.log.add(values, block)
        if self.on_generation is not None:
            self.on_generation(self.log)
        return [self.log.get(values) for values in settings]  # type: ignore[misc]

    def _check_defined(self, values: list[Any], runs: np.ndarray) -> None:
        """FrontierError unless every objective has a value in every run: the search cannot rank a NaN, and a mean
        over the runs that define it would compare settings on different people."""
        undefined = np.isnan(runs).any(axis=0)
        if undefined.any():
            metric = self.metrics[int(np.flatnonzero(undefined)[0])]
            setting = ", ".join(f"{name} = {value!r}" for name, value in zip(self.frontier.levers, values))
            raise FrontierError(f"{self.frontier.experiment.source}: search.objectives.{metric}: undefined (NaN) in a "
                                f"run of the setting {setting}; allowed: objectives every run defines (a rate of "
                                f"something that may not happen, such as {metric} here, is not one)")

    def run_policies(self, names: list[str]) -> dict[str, dict[str, float]]:
        """Each named policy on the search's base scenario, with the same seeds: its objectives' means."""
        if not names:
            return {}
        runs = self.run_settings([[name] for name in names], ["policy"])
        return {name: dict(zip(self.metrics, block.mean(axis=0).tolist())) for name, block in zip(names, runs)}

    def _decoded(self, table: pd.DataFrame) -> pd.DataFrame:
        """An archive with each listed lever's index turned back into its value."""
        table = table.copy()
        for name, factor in zip(self.frontier.levers, self.frontier.experiment.factors):
            if factor.values is not None:
                table[name] = [factor.values[int(i)] for i in table[name]]
        return table

    def run(self) -> SearchResult:
        """The whole search, seeded from the file's seed; returns the front and its convergence."""
        model = ema_problem(self.frontier)
        search = self.frontier.search
        archive, table, snapshots = optimise(model, _evaluator_class()(model, self),
                                             epsilons=[o.epsilon for o in self.frontier.objectives],
                                             population=search.population, evaluations=search.evaluations,
                                             seed=self.frontier.experiment.spec.seed,
                                             snapshot_every=search.snapshot_every)
        front = _with_errors(self._decoded(archive), self.log, list(self.frontier.levers), self.metrics)
        archives = [(nfe, self._decoded(a)) for nfe, a in snapshots]
        return SearchResult(front, self.log.frame(), table, archives, self.ran)


def optimise(model: Any, evaluator: Any, *, epsilons: list[float], population: int, evaluations: int, seed: int,
             snapshot_every: int) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple[int, pd.DataFrame]]]:
    """Run epsilon-NSGA-II on an EMA model through an EMA evaluator.

    Returns the final epsilon-archive (levers and objectives, one row a point), the convergence table (nfe,
    epsilon progress, front size) and the archive every ``snapshot_every`` evaluations. This is EMA's
    ``optimize`` without its progress bar (the caller shows progress) and with the archives kept in memory.
    """
    _ema()  # imports EMA Workbench quietly, before its modules below
    import platypus
    from ema_workbench.em_framework.optimization import (CombinedVariator, Problem, RuntimeConvergenceTracking,
                                                         to_dataframe)

    problem = Problem("levers", model.levers, list(model.outcomes), reference=_ema().Sample("reference"))
    random.seed(seed)  # platypus's generator (see the module's note)
    mixed = len({type(t) for t in problem.types}) > 1
    optimizer = platypus.EpsNSGAII(problem, epsilons=epsilons, population_size=population, evaluator=evaluator,
                                   variator=CombinedVariator() if mixed else None)
    snapshots = _Snapshots(problem, snapshot_every)
    convergence = RuntimeConvergenceTracking(frequency=snapshot_every)
    optimizer.add_extension(snapshots)
    optimizer.add_extension(convergence)
    optimizer.run(evaluations)
    snapshots.do_action(optimizer)
    convergence.do_action(optimizer)
    archive = to_dataframe(optimizer.archive, problem.parameter_names, problem.outcome_names)
    table = convergence.to_dataframe().drop_duplicates("nfe", keep="last").reset_index(drop=True)
    table["front_size"] = [len(dict(snapshots.archives).get(n, ())) for n in table["nfe"]]
    return archive, table, snapshots.archives


class _Snapshots:
    """A platypus extension keeping the archive every ``every`` evaluations, in memory (EMA's ArchiveStorage
    writes a tarball; the search writes its own files at the end)."""

    def __new__(cls, problem: Any, every: int) -> Any:
        import platypus
        from ema_workbench.em_framework.optimization import to_dataframe

        class Snapshots(platypus.extensions.FixedFrequencyExtension):
            def __init__(self) -> None:
                super().__init__(frequency=every, by_nfe=True)
                self.archives: list[tuple[int, pd.DataFrame]] = []

            def do_action(self, algorithm: Any) -> None:
                if self.archives and self.archives[-1][0] == algorithm.nfe:
                    return
                self.archives.append((algorithm.nfe, to_dataframe(algorithm.archive, problem.parameter_names,
                                                                  problem.outcome_names)))

        return Snapshots()


def _with_errors(front: pd.DataFrame, log: EvaluationLog, levers: list[str], metrics: list[str]) -> pd.DataFrame:
    """The front with each point's evaluation number and standard errors, sorted by its first objective."""
    rows = [log.get([_plain(v) for v in values]) for values in front[levers].itertuples(index=False)]
    front = front.copy()
    front.insert(0, "evaluation", [r["evaluation"] if r else -1 for r in rows])
    for m in metrics:
        front[f"{m}_se"] = [r[f"{m}_se"] if r else float("nan") for r in rows]
    front = front.sort_values(metrics[0], kind="stable").reset_index(drop=True)
    front.insert(0, "point", np.arange(1, len(front) + 1))
    return front


# --- reading a front -------------------------------------------------------------------------------

def nondominated(points: np.ndarray, objectives: tuple[Objective, ...]) -> np.ndarray:
    """Which rows of ``points`` (one column per objective) no other row beats on every objective (a mask)."""
    signed = points * np.array([1.0 if o.direction == "lower" else -1.0 for o in objectives])
    keep = np.ones(len(signed), dtype=bool)
    for i, p in enumerate(signed):
        better_or_equal = np.all(signed <= p, axis=1)
        strictly = np.any(signed < p, axis=1)
        keep[i] = not np.any(better_or_equal & strictly)
    return keep


def epsilon_gap(point: dict[str, float], front: pd.DataFrame, objectives: tuple[Objective, ...]) -> tuple[float, int]:
    """How far ``point`` lies behind the front, in epsilons, and the front point that beats it most.

    A front point beats ``point`` by the smallest of its margins over the objectives, each counted in that
    objective's epsilon; the gap is the largest such margin over the front. Above 0: some front point is better
    on every objective by at least the gap; at or below 0: nothing on the front beats it on all of them (it is on
    the front, or beyond what the search found).
    """
    margins = np.column_stack([(front[o.metric].map(lambda v, o=o: o.better(v, point[o.metric]))) / o.epsilon
                               for o in objectives])
    worst = margins.min(axis=1)
    best = int(np.argmax(worst))
    return float(worst[best]), int(front["point"].iloc[best])


def hypervolumes(archives: list[tuple[int, pd.DataFrame]], objectives: tuple[Objective, ...]) -> list[float]:
    """The hypervolume of each snapshot of the front, on bounds spanning every snapshot (0 to 1: higher is better).

    The same bounds for every snapshot make the numbers comparable along the search: a rise means the front
    moved outwards or filled in; a plateau that it settled, for this budget.
    """
    import platypus

    metrics = [o.metric for o in objectives]
    points = [a[metrics].to_numpy(np.float64) for _, a in archives if len(a)]
    if not points:
        return [float("nan")] * len(archives)
    stacked = np.vstack(points)
    low, high = stacked.min(axis=0), stacked.max(axis=0)
    high = np.where(high > low, high, low + 1.0)  # a flat objective: any positive width
    problem = platypus.Problem(1, len(objectives))
    problem.directions[:] = [platypus.Direction.MINIMIZE if o.direction == "lower" else platypus.Direction.MAXIMIZE
                             for o in objectives]
    indicator = platypus.Hypervolume(minimum=low.tolist(), maximum=high.tolist())
    out = []
    for _, archive in archives:
        solutions = []
        for row in archive[metrics].to_numpy(np.float64):
            solution = platypus.Solution(problem)
            solution.objectives[:] = row.tolist()
            solution.evaluated = True
            solutions.append(solution)
        out.append(float(indicator.calculate(solutions)) if solutions else 0.0)
    return out


def status(gap: float) -> str:
    """Where a policy with this gap stands: beaten by at least one epsilon, within one, or beaten by nothing."""
    if gap <= 0:
        return "on the front"
    return "within one epsilon of the front" if gap < 1 else "behind the front"


def placements(policies: dict[str, dict[str, float]], front: pd.DataFrame,
               objectives: tuple[Objective, ...]) -> pd.DataFrame:
    """Each policy's objectives, how far behind the front it lies (in epsilons) and the point that beats it most."""
    rows = []
    for name, values in policies.items():
        gap, point = epsilon_gap(values, front, objectives)
        rows.append({"policy": name, **{o.metric: values[o.metric] for o in objectives},
                     "gap_epsilons": gap, "nearest_point": point,
                     "status": status(gap)})
    return pd.DataFrame(rows)
