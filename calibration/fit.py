"""ABC-SMC calibration of a baseline to published figures, with pyabc.

pyabc (Klinger, Rickert and Hasenauer 2018) runs Approximate Bayesian
Computation by Sequential Monte Carlo: particles (values of the free
parameters) are drawn from the priors, each is simulated, and the ones whose
quantities land close enough to the published figures are kept; each
generation perturbs the last one's particles and tightens "close enough"
(epsilon, the median distance of the last generation). The particles of the
last generation, with their weights, are the posterior.

- **Simulation** (:class:`Simulator`): the base scenario with a particle's
  values, its warm-up, then one year per distinct lever setting among the
  targets (branched from one warm-up), read at the end. Its seed is a hash of
  the particle's values, so any simulation can be re-run exactly; pyabc's own
  sampling (which particles are proposed) draws from numpy's global generator
  in its worker processes and is not reproducible run to run.
- **Distance** (:class:`ScaledDistance`): the root mean square over targets of
  ``(model - figure) / tolerance``. Epsilon 1 means the runs kept are, on
  average, one tolerance away; a NaN (nothing to count) is infinitely far.
- **History**: pyabc's SQLite database ``history.db`` under
  ``results/calibration/<name>/``, one row per particle and generation, so a
  stopped calibration resumes (``--resume``: ``ABCSMC.load``) where it was.
- **Samplers**: forked local processes (pyabc's ``MulticoreEvalParallelSampler``),
  or Dask (``DaskDistributedSampler`` with batches of 20 particles: with pyabc's
  default of one, a toy model took 43 s instead of 4.9 s) on the engine the
  sweeps use (``--dask local`` or a scheduler's address).
- **Outputs** (written when the run stops, atomically): ``posterior.parquet``,
  ``generations.csv``, ``predictive.parquet`` (posterior draws re-run with
  fresh seeds), ``fit.csv`` (each target against its posterior predictive
  interval), ``calibrated_baseline.toml`` (the base scenario at the
  posterior's weighted median) and ``report.html``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd

from crmsim.calibration.targets import CalibrationSpec
from crmsim.experiments.interrupt import interrupts_held
from crmsim.experiments.provenance import STAMP_KEY, model_stamp, stamp_change
from crmsim.experiments.store import atomic_write
from crmsim.model.metrics import QUANTITIES
from crmsim.model.model import CrmModel
from crmsim.model.scenario import parse_scenario
from crmsim.texts.i18n import _, number, percent

__all__ = ["Simulator", "ScaledDistance", "Generation", "CalibrationError", "calibrate", "simulator_for",
           "seed_of", "discard", "inputs_change", "DASK_BATCH"]

DASK_BATCH = 20  # particles per Dask task: pyabc's default of 1 spends most of the time in scheduling
PREDICTIVE_LOW, PREDICTIVE_HIGH = 0.05, 0.95  # the posterior predictive interval reported


class CalibrationError(RuntimeError):
    """A calibration that cannot start or resume; the message is one line for a person."""


class NothingFitted(CalibrationError):
    """A calibration that ran but could not fit: no particle was ever nearer the figures than any other."""


INPUTS = "inputs.json"  # what a calibration was started with, so that a resume with edited inputs is refused
FRESH_HINT = "add --fresh to calibrate again from the start, or calibrate into another --out"


def inputs_of(spec: CalibrationSpec) -> dict[str, Any]:
    """What a resumed calibration must share with the one it goes on with: the priors, the figures, the base
    scenario, the run length, the seed and the particles per generation (not when to stop: a resume may go
    on for more generations).

    The base scenario's values of the fitted parameters are left out: every run samples them from the priors,
    so they change nothing, and a refit that moves their defaults (model/calibrated.toml) leaves the inputs
    the same.
    """
    scenario = spec.base.model_dump(mode="json", exclude_none=True)
    for section in scenario.values():
        if isinstance(section, dict):
            for name in spec.parameter_names:
                section.pop(name, None)
    return json.loads(json.dumps({
        "parameter": [p.model_dump() for p in spec.priors],
        "target": [t.model_dump(exclude={"source", "comparable"}) for t in spec.targets],
        "scenario": scenario,
        "steps": spec.steps, "seed": spec.seed, "abc.population_size": spec.abc.population_size}))


def inputs_digest(spec: CalibrationSpec) -> str:
    """A short hash of :func:`inputs_of`: which calibration a posterior or a refit came from."""
    return hashlib.sha256(json.dumps(inputs_of(spec), sort_keys=True).encode()).hexdigest()[:16]


def inputs_change(spec: CalibrationSpec, folder: Path) -> str | None:
    """Why the calibration saved in ``folder`` is not ``spec``'s with today's model (one phrase), or None.

    Reads ``folder``'s inputs.json: the model that ran it first, then the first input that differs.
    """
    try:
        then = json.loads((folder / INPUTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"{folder / INPUTS} is missing or damaged, so whether it was run with these inputs cannot be told"
    if not isinstance(then, dict):
        return f"{folder / INPUTS} is not a table of inputs"
    model = stamp_change(then.pop(STAMP_KEY, None), model_stamp())
    if model is not None:
        return f"it was run by another model: {model}"
    changed = _first_change(then, inputs_of(spec))
    return f"{changed} changed since it was run" if changed else None


def _write_inputs(spec: CalibrationSpec, folder: Path) -> None:
    inputs = {**inputs_of(spec), STAMP_KEY: model_stamp()}
    atomic_write(folder / INPUTS, lambda p: p.write_text(json.dumps(inputs, indent=1), encoding="utf-8"))


def _first_change(then: Any, now: Any, where: str = "") -> str | None:
    """The first place two JSON values differ, as a field path (e.g. 'parameter[0].high'), or None."""
    if isinstance(then, dict) and isinstance(now, dict):
        for key in sorted(set(then) | set(now)):
            found = _first_change(then.get(key), now.get(key), f"{where}.{key}" if where else key)
            if found:
                return found
        return None
    if isinstance(then, list) and isinstance(now, list) and len(then) == len(now):
        return next((f for i, (a, b) in enumerate(zip(then, now)) if (f := _first_change(a, b, f"{where}[{i}]"))),
                    None)
    return None if then == now else f"{where} ({json.dumps(then)} then, {json.dumps(now)} now)"


def _check_can_start(spec: CalibrationSpec, folder: Path, resume: bool) -> None:
    """CalibrationError unless ``folder`` is as ``resume`` needs it: read only, so a refusal leaves nothing."""
    if folder.exists() and not folder.is_dir():
        raise CalibrationError(f"{folder}: is a file, not a folder; allowed: --out a folder you can write")
    db_path = folder / "history.db"
    if resume and not db_path.exists():
        raise CalibrationError(f"{folder}: holds no calibration to resume; run without --resume")
    if not resume and db_path.exists():
        raise CalibrationError(f"{folder}: already holds a calibration; add --resume to go on with it, add --fresh "
                               f"to start again, or calibrate into another --out")
    if resume:
        changed = inputs_change(spec, folder) or _history_problem(db_path)
        if changed:
            raise CalibrationError(f"{spec.source}: cannot resume the calibration in {folder}: {changed}; "
                                   f"{FRESH_HINT}")


def _history_problem(db_path: Path) -> str | None:
    """Why ``history.db`` holds no calibration pyabc can go on with (a phrase), or None; read only."""
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            found = db.execute("select count(*) from abc_smc where id = 1").fetchone()[0]
            db.execute("select count(*) from populations").fetchone()
    except sqlite3.Error as err:
        return f"{db_path} is damaged, not a pyabc history ({err})"
    return None if found else f"{db_path} holds no calibration"


# Every file a calibration writes in its folder: what --fresh removes (nothing else that may be there).
WRITTEN = ("history.db", "history.db-journal", INPUTS, "posterior.parquet", "generations.csv", "predictive.parquet",
           "fit.csv", "parameters.csv", "calibrated_baseline.toml", "report.html")


def discard(folder: Path) -> None:
    """``--fresh``: remove what a calibration wrote in ``folder``, under its lock, so that it starts again.

    CalibrationError (one line) if another calibration is writing there, or a file cannot be removed.
    """
    from filelock import FileLock, Timeout

    if not folder.is_dir() or not any((folder / name).exists() for name in WRITTEN):
        return
    lock = FileLock(folder / ".lock", timeout=0)
    try:
        with lock:
            for path in [*(folder / name for name in WRITTEN), *folder.glob(".*.tmp")]:
                path.unlink(missing_ok=True)
    except Timeout:
        raise CalibrationError(f"{folder}: another calibration is writing here; wait for it, or use another --out") \
            from None
    except OSError as err:
        raise CalibrationError(f"--fresh: cannot remove the calibration in {folder}: {err.strerror or err}") from None
    (folder / ".lock").unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        folder.rmdir()  # only if nothing else is there


def seed_of(values: dict[str, float], salt: int = 0) -> int:
    """A run's seed from the values it is run with (and a salt): the same particle gives the same run.

    >>> seed_of({"a": 0.5}) == seed_of({"a": 0.5}) != seed_of({"a": 0.5}, salt=1)
    True
    """
    text = json.dumps(sorted(values.items())) + f"#{salt}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


@dataclass(frozen=True)
class Simulator:
    """One simulation per particle: plain data, so it pickles to worker processes and Dask workers."""

    base: dict[str, Any]  # the base scenario, dumped
    steps: int
    variants: tuple[tuple[tuple[str, Any], ...], ...]  # the distinct lever settings among the targets
    targets: tuple[tuple[str, str, int], ...]  # (target, quantity, variant index)

    def __call__(self, parameters: Any, salt: int = 0) -> dict[str, float]:
        values = {name: float(parameters[name]) for name in parameters}
        return self.run(values, seed_of(values, salt))

    def run(self, values: dict[str, float], seed: int) -> dict[str, float]:
        """The targets' quantities for these parameter values and seed."""
        scenario = parse_scenario(self.base, "<calibration>").with_values(values)
        warm = CrmModel(scenario, rng=seed)
        models = []
        for levers in self.variants:
            model = warm.branch(scenario.with_values(dict(levers)))
            model.run(self.steps, record=False)
            models.append(model)
        return {name: float(QUANTITIES[quantity](models[variant])) for name, quantity, variant in self.targets}


def simulator_for(spec: CalibrationSpec) -> Simulator:
    variants: list[tuple[tuple[str, Any], ...]] = []
    targets = []
    for target in spec.targets:
        levers = tuple(sorted(target.levers.items()))
        if levers not in variants:
            variants.append(levers)
        targets.append((target.name, target.quantity, variants.index(levers)))
    return Simulator(spec.base.model_dump(mode="json", exclude_none=True), spec.steps, tuple(variants),
                     tuple(targets))


@dataclass(frozen=True)
class ScaledDistance:
    """Root mean square over targets of ``(simulated - observed) / tolerance``; NaN is infinitely far."""

    tolerances: tuple[tuple[str, float], ...]

    def __call__(self, simulated: dict, observed: dict) -> float:
        z = [(simulated[name] - observed[name]) / tolerance for name, tolerance in self.tolerances]
        if not all(math.isfinite(v) for v in z):
            return math.inf
        return math.sqrt(sum(v * v for v in z) / len(z))


@dataclass(frozen=True)
class Generation:
    """One generation, as the progress line shows it."""

    index: int
    epsilon: float
    acceptance: float
    simulations: int  # in total, since the calibration began
    seconds: float  # since this session began

    def line(self) -> str:
        return _("generation {index}: epsilon {epsilon}, acceptance {acceptance}, {simulations} simulations so far, "
                 "{time}").format(index=self.index, epsilon=f"{self.epsilon:.3g}",
                                  acceptance=percent(self.acceptance, 1), simulations=number(self.simulations, 0),
                                  time=_duration(self.seconds))


def _duration(seconds: float) -> str:
    minutes, sec = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else (f"{minutes} min {sec:02d} s" if minutes else f"{sec} s")


@contextlib.contextmanager
def _quiet_pyabc() -> Iterator[None]:
    """pyabc logs every step at INFO; the command prints its own line per generation instead."""
    loggers = [logging.getLogger(name) for name in ("ABC", "pyabc", "Distance", "Epsilon", "Acceptor",
                                                    "Redis-Sampler", "Dask-Sampler", "History")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


@contextlib.contextmanager
def _code_version_as_git_hash() -> Iterator[None]:
    """pyabc stores the current folder's git commit, or the error text naming the folder when it is not a
    checkout; store crmsim's code version instead (where the calibration's code came from)."""
    from pyabc.storage import history

    from crmsim.experiments.store import code_version

    original = history.git_hash
    history.git_hash = code_version
    try:
        yield
    finally:
        history.git_hash = original


def calibrate(spec: CalibrationSpec, out: str | Path, sampler: Any, *, resume: bool = False,
              on_generation: Callable[[Generation], None] | None = None,
              on_predictive: Callable[[int], None] | None = None) -> Path:
    """Run (or resume) the calibration into ``out/<name>/`` with a pyabc ``sampler``; return that folder.

    ``on_generation`` is called after each generation, ``on_predictive(i)``
    after each posterior predictive run.

    Raises CalibrationError if the folder already holds a calibration and
    ``resume`` is false, or holds none and ``resume`` is true.
    """
    import pyabc
    from filelock import FileLock, Timeout

    from crmsim.calibration.draws import Draws, Transition, UniformPrior

    folder = Path(out) / spec.name
    db_path = folder / "history.db"
    _check_can_start(spec, folder, resume)
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        blocker = next((p for p in folder.parents if p.exists() and not p.is_dir()), None)
        why = f"{blocker} is a file, not a folder" if blocker is not None else err.strerror or err
        raise CalibrationError(f"cannot write in {folder}: {why}; allowed: --out a folder you can write") from None
    lock_path = folder / ".lock"
    try:
        lock = FileLock(lock_path, timeout=0)
        lock.acquire()
    except Timeout:
        raise CalibrationError(f"{folder}: another calibration is writing here; wait for it, or use another --out") \
            from None
    try:
        _check_can_start(spec, folder, resume)  # again, now that no one else can write here
        draws = Draws()
        prior = pyabc.Distribution(**{p.name: UniformPrior(draws, p.low, p.high) for p in spec.priors})
        distance = ScaledDistance(tuple((t.name, t.tolerance) for t in spec.targets))
        abc = pyabc.ABCSMC(simulator_for(spec), prior, distance, population_size=spec.abc.population_size,
                           transitions=Transition(draws), sampler=sampler)
        # One Generator is safe only in one process: forked workers would each copy it and propose the same.
        seeded = draws if isinstance(sampler, pyabc.sampler.SingleCoreSampler) else None
        db = f"sqlite:///{db_path.resolve()}"
        with _quiet_pyabc(), _code_version_as_git_hash():
            with interrupts_held():
                if resume:
                    abc.load(db, 1)
                else:
                    abc.new(db, spec.observed, meta_info={"targets_file": spec.source, "calibration": spec.name})
                    _write_inputs(spec, folder)
                abc.history = HeldHistory(abc.history)
            _run_generations(abc, spec, seeded, on_generation)
        _write_outputs(spec, folder, abc.history, on_predictive)
    except BaseException:
        if created and not db_path.exists():  # refused or stopped before anything was kept: leave no folder
            lock.release()
            shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        if lock.is_locked:
            lock.release()
            # The lock file goes too: a finished, stopped or refused calibration leaves no lock behind.
            lock_path.unlink(missing_ok=True)
    return folder


class HeldHistory:
    """pyabc's History, each of its calls shielded from Ctrl-C and SIGTERM until it returns.

    pyabc writes its database inside these calls (even a read may create
    tables); an interrupt raised halfway leaves the sqlite file locked, and
    the way out then fails with a traceback. Held, the interrupt stops the
    calibration as soon as the call returns: during the model runs, where the
    time goes, it stops at once.
    """

    def __init__(self, history: Any) -> None:
        object.__setattr__(self, "_history", history)

    def __getattr__(self, name: str) -> Any:
        with interrupts_held():  # a property may query the database too (max_t, total_nr_simulations)
            value = getattr(self._history, name)
        if not callable(value):
            return value

        @functools.wraps(value)
        def held(*args: Any, **kwargs: Any) -> Any:
            with interrupts_held():
                return value(*args, **kwargs)

        return held

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._history, name, value)


def _run_generations(abc: Any, spec: CalibrationSpec, draws: Any,
                     on_generation: Callable[[Generation], None] | None) -> None:
    """pyabc's ``ABCSMC.run``, one generation at a time so that each can be reported; ``draws`` (on one core) gets
    each generation's Generator, from the file's seed and the generation, so that a resumed calibration draws as
    one never stopped."""
    done = abc.history.max_t + 1
    remaining = spec.abc.max_generations - done
    if remaining <= 0 or _finished(abc.history, spec):
        return
    started = time.perf_counter()
    try:
        _reseed(draws, spec, done, "start")
        t = abc.initialize_components_before_run(
            minimum_epsilon=spec.abc.min_epsilon, max_nr_populations=remaining,
            min_acceptance_rate=spec.abc.min_acceptance_rate, max_total_nr_simulations=spec.abc.max_simulations,
            max_walltime=None, min_eps_diff=0.0)
        while True:
            _reseed(draws, spec, t, "generation")
            result = abc.run_generation(t=t)
            if on_generation is not None and result["successful"]:
                populations = abc.history.get_all_populations()
                last = populations[populations["t"] == t].iloc[0]
                on_generation(Generation(t, float(last["epsilon"]), float(result["acceptance_rate"]),
                                         int(abc.history.total_nr_simulations), time.perf_counter() - started))
            if result["successful"]:
                _check_something_fits(abc.history, t)
            if not result["successful"] or abc.check_terminate(t=t, acceptance_rate=result["acceptance_rate"]):
                break
            t += 1
    finally:  # what pyabc's run does on the way out, whatever happened
        abc.history.done()
        abc.sampler.stop()


def _reseed(draws: Any, spec: CalibrationSpec, t: int, stage: str) -> None:
    """A new Generator for generation ``t``'s proposals (calibration.draws), whatever ran before it."""
    if draws is not None:
        draws.rng = np.random.default_rng(seed_of({"calibration seed": float(spec.seed), "generation": float(t)},
                                                  salt=0 if stage == "generation" else 1))


def _check_something_fits(history: Any, t: int) -> None:
    """NothingFitted if generation ``t`` accepted everything at an infinite distance: every run missed a
    figure entirely (its quantity undefined, NaN), so the posterior would be the prior called a fit."""
    populations = history.get_all_populations()
    epsilon = float(populations[populations["t"] == t]["epsilon"].iloc[0])
    if math.isfinite(epsilon):
        return
    _weights, stats = history.get_weighted_sum_stats(t=t)
    undefined = sorted({name for row in stats for name, value in row.items() if not math.isfinite(float(value))})
    raise NothingFitted(f"generation {t}: epsilon inf, nothing can be fitted: {', '.join(undefined) or 'a target'} "
                        f"has no value in the model's runs (NaN: e.g. a share of nobody); choose another quantity "
                        f"or levers under which it is defined")


def _finished(history: Any, spec: CalibrationSpec) -> bool:
    """Whether a stored calibration already met a stopping rule (so resuming has nothing to add)."""
    populations = history.get_all_populations()
    populations = populations[populations["t"] >= 0]
    if populations.empty:
        return False
    last = populations.iloc[-1]
    acceptance = last["particles"] / last["samples"] if last["samples"] else 0.0
    return bool(last["epsilon"] <= spec.abc.min_epsilon or acceptance < spec.abc.min_acceptance_rate
                or history.total_nr_simulations >= spec.abc.max_simulations)


# -- outputs ---------------------------------------------------------------------------------------------------
def posterior(history: Any) -> pd.DataFrame:
    """The last generation's particles: one column per parameter, and ``weight`` (summing to 1)."""
    particles, weights = history.get_distribution(m=0, t=history.max_t)
    table = particles.reset_index(drop=True)
    table.columns = [str(c) for c in table.columns]
    table["weight"] = np.asarray(weights) / np.sum(weights)
    return table


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` under ``weights`` (the smallest value whose cumulative weight reaches q).

    >>> weighted_quantile(np.array([3.0, 1.0, 2.0]), np.array([0.2, 0.5, 0.3]), 0.5)
    1.0
    """
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) / np.sum(weights)
    return float(values[order][min(np.searchsorted(cumulative, q), len(values) - 1)])


def _write_outputs(spec: CalibrationSpec, folder: Path, history: Any, on_run: Callable[[int], None] | None) -> None:
    from crmsim.calibration.outputs import write_outputs

    write_outputs(spec, folder, history, posterior(history), on_run)
