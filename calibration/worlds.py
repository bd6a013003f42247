"""Plausible worlds: parameter sets that all meet the calibration figures, for verdicts that hold up.

A verdict's interval over seeds measures run-to-run noise at fixed parameters,
while most parameters are assumptions. A *world* is one full set of values:

- the **fitted** parameters (``calibration/targets.toml``'s free ones), drawn
  jointly from the ABC-SMC posterior (``calibration/posterior.parquet``,
  resampled by weight), so they keep the correlations the fit found;
- the **assumptions** a worlds file lists, drawn by a Latin hypercube
  (``scipy.stats.qmc``) within each one's *believed* range (``Param.believed``
  in ``model/params.py``, with its reason).

A candidate is kept only if the baseline still meets the figures there: its
targets' quantities, averaged over ``seeds`` runs (the same seeds for every
candidate), must each lie within their tolerance, and the distance pyabc used
(:class:`~crmsim.calibration.fit.ScaledDistance`, the root mean square in
tolerances) within ``epsilon``. Rejection, not re-fitting: a world whose
assumptions the figures rule out is dropped, which is what the figures say.

The kept worlds go to ``calibration/worlds.parquet``, one row each: every
value drawn, the quantities and the distance, with the provenance (the worlds
file, the posterior's fingerprint, the seeds, candidates tried and kept, the
date and the git version) in the Parquet metadata under ``crmsim.worlds``.

Examples
--------
>>> spec = parse_worlds({"targets": {"scenario": {}, "parameter": [{"name": "trust_disposition", "low": 0.3,
...     "high": 0.8}], "target": [{"name": "t", "quantity": "trust_share", "value": 0.45, "tolerance": 0.05,
...     "source": "OECD", "comparable": "shares"}]}, "posterior": "p.parquet", "assumptions": ["trust_gain"]})
>>> spec.assumptions, spec.candidates
(('trust_gain',), 200)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crmsim.calibration.fit import ScaledDistance, Simulator, simulator_for
from crmsim.calibration.targets import CalibrationSpec, TargetsError, load_targets, parse_targets
from crmsim.experiments.provenance import STAMP_KEY, model_stamp, stamp_change
from crmsim.model.params import PARAMS
from crmsim.model.text import explain_invalid, one_line, read_toml

__all__ = ["WorldsError", "WorldsSpec", "parse_worlds", "load_worlds_spec", "draw_candidates", "CandidateChunk",
           "evaluate_chunk", "kept", "write_worlds", "read_worlds", "METADATA_KEY"]

METADATA_KEY = b"crmsim.worlds"
MAX_CANDIDATES = 100_000
_STRICT = ConfigDict(extra="forbid", strict=True)


class WorldsError(ValueError):
    """A worlds file, posterior or worlds table that cannot be used; one line for a person."""


class _File(BaseModel):
    model_config = _STRICT
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")] = "plausible_worlds"
    description: str = ""
    targets: str | dict[str, Any]
    posterior: str
    assumptions: Annotated[list[str], Field(min_length=1)]
    candidates: Annotated[int, Field(ge=1, le=MAX_CANDIDATES)] = 200
    seeds: Annotated[int, Field(ge=1, le=100)] = 3
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    epsilon: Annotated[float, Field(gt=0)] = 1.0


@dataclass(frozen=True)
class WorldsSpec:
    """A validated worlds file: the calibration it must keep meeting, the posterior, the assumptions drawn."""

    name: str
    description: str
    source: str
    calibration: CalibrationSpec
    posterior: Path
    assumptions: tuple[str, ...]
    candidates: int
    seeds: int
    seed: int
    epsilon: float

    @property
    def fitted(self) -> tuple[str, ...]:
        return tuple(self.calibration.parameter_names)

    @property
    def parameters(self) -> tuple[str, ...]:
        """Every value a world sets: the fitted ones, then the assumptions."""
        return self.fitted + self.assumptions

    def identity(self) -> str:
        """A fingerprint of what decides the candidates and their verdicts, the model that checks them included
        (so a resumed run is the same run)."""
        base = {k: v for k, v in self.calibration.base.flat().items() if k not in self.fitted}  # worlds set these
        text = json.dumps({"calibration": base, "targets": [t.model_dump() for t in
                           self.calibration.targets], "steps": self.calibration.steps, "fitted": self.fitted,
                           "assumptions": self.assumptions, "believed": [PARAMS[a].believed for a in
                                                                         self.assumptions],
                           "posterior": _fingerprint(self.posterior), "candidates": self.candidates,
                           "seeds": self.seeds, "seed": self.seed, "epsilon": self.epsilon,
                           STAMP_KEY: model_stamp()}, sort_keys=True,
                          default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _fingerprint(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return "missing"


def parse_worlds(data: dict[str, Any], source: str = "<worlds>", base_dir: str | Path = ".") -> WorldsSpec:
    """Validate a worlds file given as a dict; ``targets`` and ``posterior`` are paths relative to ``base_dir``."""
    if not isinstance(data, dict):
        raise WorldsError(f"{source}: (top level): expected a table of fields")
    try:
        spec = _File.model_validate(data)
    except ValidationError as err:
        raise WorldsError(explain_invalid(source, err, "calibration/worlds.toml")) from None
    try:
        calibration = (parse_targets(spec.targets, f"{source}: targets", base_dir) if isinstance(spec.targets, dict)
                       else load_targets(Path(base_dir) / spec.targets))
    except TargetsError as err:
        raise WorldsError(one_line(f"{source}: targets: {err}")) from None
    seen: set[str] = set()
    for i, name in enumerate(spec.assumptions):
        param = PARAMS.get(name)
        believed = [n for n, p in PARAMS.items() if p.believed is not None]
        if param is None or param.believed is None:
            raise WorldsError(f"{source}: assumptions[{i}]: {name!r} has no believed range in model/params.py; "
                              f"allowed: {', '.join(sorted(believed))}")
        if name in calibration.parameter_names:
            raise WorldsError(f"{source}: assumptions[{i}]: {name} is fitted by the calibration; allowed: an "
                              f"assumption (the fitted ones come from the posterior)")
        if name in seen:
            raise WorldsError(f"{source}: assumptions[{i}]: {name} is listed twice; allowed: each once")
        seen.add(name)
    return WorldsSpec(spec.name, spec.description, source, calibration, Path(base_dir) / spec.posterior,
                      tuple(spec.assumptions), spec.candidates, spec.seeds, spec.seed, spec.epsilon)


def load_worlds_spec(path: str | Path) -> WorldsSpec:
    """Read and validate a worlds file (WorldsError: one line naming the file and the field)."""
    path = Path(path)
    return parse_worlds(read_toml(path, "worlds file", WorldsError), str(path), path.parent)


def _read_posterior(spec: WorldsSpec) -> pd.DataFrame:
    """The posterior the worlds draw from, checked (its own provenance, and the calibration's parameters)."""
    from crmsim.calibration.posterior_file import PosteriorError, read_posterior

    try:
        posterior = read_posterior(spec.posterior)
    except PosteriorError as err:
        raise WorldsError(f"{err} (crmsim calibrate {spec.calibration.source})") from None
    if sorted(posterior.parameters) != sorted(spec.fitted):
        raise WorldsError(f"{spec.posterior}: fits {', '.join(posterior.parameters)}; allowed: a posterior of the "
                          f"calibration {spec.calibration.source} (it fits {', '.join(spec.fitted)})")
    return posterior.table


def draw_candidates(spec: WorldsSpec) -> pd.DataFrame:
    """The candidates, a deterministic function of the file and the posterior: one row each, every value a world sets.

    The fitted values are posterior particles drawn by weight (with replacement); the
    assumptions a Latin hypercube over their believed ranges, from the same generator.
    """
    from scipy.stats import qmc

    posterior = _read_posterior(spec)
    rng = np.random.default_rng(spec.seed)
    weights = posterior["weight"].to_numpy(float)
    rows = rng.choice(len(posterior), size=spec.candidates, p=weights / weights.sum())
    table = pd.DataFrame({"candidate": np.arange(spec.candidates)})
    for name in spec.fitted:
        table[name] = posterior[name].to_numpy(float)[rows]
    unit = qmc.LatinHypercube(d=len(spec.assumptions), seed=rng).random(spec.candidates)
    low = np.array([PARAMS[a].believed[0] for a in spec.assumptions])
    high = np.array([PARAMS[a].believed[1] for a in spec.assumptions])
    for j, name in enumerate(spec.assumptions):
        table[name] = low[j] + unit[:, j] * (high[j] - low[j])
    return table


@dataclass(frozen=True)
class CandidateChunk:
    """Candidates to check, as plain data (it pickles to worker processes and Dask workers)."""

    simulator: Simulator  # the calibration's runs: the base scenario dumped, the lever settings, the quantities
    targets: tuple[tuple[str, float, float], ...]  # (target, figure, tolerance)
    seeds: tuple[int, ...]  # the same run seeds for every candidate
    epsilon: float
    rows: tuple[tuple[int, tuple[tuple[str, float], ...]], ...]  # (candidate, values)

    @classmethod
    def of(cls, spec: WorldsSpec, rows: Any) -> "CandidateChunk":
        """A chunk of ``rows`` (``(candidate, values)`` pairs) to check against ``spec``'s figures."""
        from crmsim.experiments.seeds import replicate_seed

        return cls(simulator_for(spec.calibration),
                   tuple((t.name, t.value, t.tolerance) for t in spec.calibration.targets),
                   tuple(replicate_seed(spec.seed, r) for r in range(spec.seeds)), spec.epsilon, tuple(rows))


def evaluate_chunk(chunk: CandidateChunk) -> list[dict[str, Any]]:
    """Each candidate's targets' quantities (mean over the seeds), their distance, and whether it is kept."""
    distance = ScaledDistance(tuple((name, tolerance) for name, _, tolerance in chunk.targets))
    observed = {name: value for name, value, _ in chunk.targets}
    out = []
    for candidate, values in chunk.rows:
        runs = [chunk.simulator.run(dict(values), seed) for seed in chunk.seeds]
        means = {name: float(np.mean([run[name] for run in runs])) for name in observed}
        scaled = distance(means, observed)
        within = all(math.isfinite(means[name]) and abs(means[name] - value) <= tolerance
                     for name, value, tolerance in chunk.targets)
        out.append({"candidate": candidate, **dict(values), **{f"q_{k}": v for k, v in means.items()},
                    "distance": scaled, "kept": bool(within and scaled <= chunk.epsilon)})
    return out


def kept(evaluated: pd.DataFrame) -> pd.DataFrame:
    """The candidates kept, numbered as worlds 0, 1, ... in candidate order."""
    worlds = evaluated[evaluated["kept"]].sort_values("candidate").reset_index(drop=True)
    worlds.insert(0, "world", np.arange(len(worlds)))
    return worlds.drop(columns="kept")


def _git_version() -> str:
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def write_worlds(path: Path, spec: WorldsSpec, evaluated: pd.DataFrame, seconds: float) -> pd.DataFrame:
    """Write the kept worlds with their provenance in the Parquet metadata; return them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from crmsim.experiments.store import atomic_write

    worlds = kept(evaluated)
    provenance = {
        "worlds_file": spec.source, "name": spec.name, "identity": spec.identity(),
        "targets_file": spec.calibration.source, "posterior": str(spec.posterior),
        "posterior_sha256": _fingerprint(spec.posterior), "fitted": list(spec.fitted),
        "priors": {p.name: [p.low, p.high] for p in spec.calibration.priors}, STAMP_KEY: model_stamp(),
        "assumptions": {a: list(PARAMS[a].believed) for a in spec.assumptions},
        "candidates": int(len(evaluated)), "kept": int(len(worlds)), "seeds": spec.seeds, "seed": spec.seed,
        "epsilon": spec.epsilon, "rule": "every target within its tolerance, and the scaled distance within epsilon",
        "seconds": round(seconds, 1), "written": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "git": _git_version(),
    }
    table = pa.Table.from_pandas(worlds, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           METADATA_KEY: json.dumps(provenance).encode()})
    atomic_write(path, lambda p: pq.write_table(table, p))
    return worlds


def _provenance_problem(provenance: Any) -> str | None:
    """Why a worlds file's provenance cannot be used ('field: problem'), or None."""
    if not isinstance(provenance, dict):
        return "not a table of fields"
    fitted, assumptions, priors = (provenance.get(k) for k in ("fitted", "assumptions", "priors"))
    if not isinstance(fitted, list) or not fitted or not all(isinstance(f, str) for f in fitted):
        return "fitted: missing or empty; allowed: the calibration's fitted parameters, drawn from its posterior"
    if not isinstance(assumptions, dict) or not all(
            isinstance(b, list) and len(b) == 2 and all(isinstance(x, (int, float)) for x in b) and b[0] <= b[1]
            for b in assumptions.values()):
        return "assumptions: allowed: a table of parameter -> [low, high]"
    if not isinstance(priors, dict) or sorted(priors) != sorted(fitted) or not all(
            isinstance(b, list) and len(b) == 2 and all(isinstance(x, (int, float)) for x in b) and b[0] < b[1]
            for b in priors.values()):
        return "priors: allowed: each fitted parameter -> [low, high], its prior"
    for name in [*fitted, *assumptions]:
        param = PARAMS.get(name)
        if param is None:
            return f"{name}: not a parameter of model/params.py"
        if param.section == "levers":
            return f"{name}: a policy lever; allowed: fitted parameters and assumptions (a world keeps every policy)"
    if set(fitted) & set(assumptions):
        return f"{sorted(set(fitted) & set(assumptions))[0]}: both fitted and an assumption"
    if not isinstance(provenance.get(STAMP_KEY), dict):
        return f"{STAMP_KEY}: missing (the model that drew the worlds)"
    return None


def read_worlds(path: str | Path, *, check_model: bool = True) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The worlds table and its provenance, checked before any world is used (WorldsError: one line).

    Checked: a file ``crmsim worlds`` wrote (provenance readable and whole, no
    policy lever among the parameters), drawn by today's model (unless
    ``check_model`` is false), world numbers 0, 1, ... each once, every value
    inside the range its provenance records (priors for the fitted, believed
    ranges for the assumptions), and the posterior it names unchanged if it is
    at hand.
    """
    import pyarrow.parquet as pq

    path = Path(path)
    redraw = "re-draw it with: crmsim worlds calibration/worlds.toml"
    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        raise WorldsError(f"{path}: no such file; make it with: crmsim worlds calibration/worlds.toml") from None
    except (OSError, ValueError) as err:
        raise WorldsError(one_line(f"{path}: not a readable Parquet file ({err})")) from None
    raw = (table.schema.metadata or {}).get(METADATA_KEY)
    if raw is None:
        raise WorldsError(f"{path}: has no worlds provenance; allowed: a file written by crmsim worlds")
    try:
        provenance = json.loads(raw)
    except ValueError:
        provenance = None
    problem = _provenance_problem(provenance)
    if problem is not None:
        raise WorldsError(f"{path}: provenance: {problem}; {redraw}")
    if check_model:
        changed = stamp_change(provenance[STAMP_KEY], model_stamp())
        if changed is not None:
            raise WorldsError(f"{path}: drawn by another model ({changed}); {redraw}")
    frame = table.to_pandas()
    ranges = {**provenance["priors"], **provenance["assumptions"]}
    for column in ("world", *ranges):
        if column not in frame.columns:
            raise WorldsError(f"{path}: column {column}: missing; {redraw}")
    worlds = pd.to_numeric(frame["world"], errors="coerce").to_numpy(float)
    if not np.array_equal(np.sort(worlds), np.arange(len(frame))):
        raise WorldsError(f"{path}: world: got {frame['world'].tolist()[:6]}; allowed: the numbers 0 to "
                          f"{len(frame) - 1}, each once")
    for name, (low, high) in ranges.items():
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(float)
        outside = ~np.isfinite(values) | (values < low) | (values > high)
        if outside.any():
            i = int(np.flatnonzero(outside)[0])
            raise WorldsError(f"{path}: world {int(worlds[i])}: {name} = {frame[name].tolist()[i]!r}; allowed: a "
                              f"number from {low:g} to {high:g} (the range recorded when the worlds were drawn)")
    posterior = Path(str(provenance.get("posterior", "")))
    if posterior.is_file() and _fingerprint(posterior) != provenance.get("posterior_sha256"):
        raise WorldsError(f"{path}: drawn from another posterior than {posterior} holds now; {redraw}")
    return frame.sort_values("world").reset_index(drop=True), provenance
