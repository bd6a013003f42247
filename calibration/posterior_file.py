"""The posterior file: the last generation's particles and weights, and what made them.

``posterior.parquet`` (what ``crmsim calibrate`` writes, and the copy shipped
in ``calibration/``) carries its provenance in the Parquet metadata under
``crmsim.posterior``: the model that ran the calibration (crmsim's version
and the code's fingerprint, :func:`~experiments.provenance.model_stamp`), the
targets file, a hash of the calibration's inputs, and each fitted parameter's
prior range (no date: the same calibration writes the same bytes, stopped and resumed or not). :func:`read_posterior` checks a file against it before anyone
uses a particle: readable, every fitted column present and inside its prior,
weights finite, non-negative and summing above zero.

Examples
--------
>>> import tempfile, pandas as pd
>>> path = Path(tempfile.mkdtemp()) / "posterior.parquet"
>>> table = pd.DataFrame({"a": [0.2, 0.4], "weight": [0.5, 0.5]})
>>> _ = write_posterior(path, table, {"a": (0.0, 1.0)}, targets_file="t.toml", calibration="x", inputs="abc")
>>> read_posterior(path).provenance["parameters"]
{'a': [0.0, 1.0]}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crmsim.experiments.provenance import STAMP_KEY, model_stamp
from crmsim.model.text import one_line

__all__ = ["Posterior", "PosteriorError", "write_posterior", "read_posterior", "METADATA_KEY"]

METADATA_KEY = b"crmsim.posterior"


class PosteriorError(ValueError):
    """A posterior file that cannot be used; one line naming the file and what is wrong."""


@dataclass(frozen=True)
class Posterior:
    """A checked posterior: its particles (one column per fitted parameter, and ``weight``) and provenance."""

    path: Path
    table: pd.DataFrame
    provenance: dict[str, Any]

    @property
    def parameters(self) -> list[str]:
        return list(self.provenance["parameters"])


def write_posterior(path: Path, table: pd.DataFrame, priors: dict[str, tuple[float, float]], *,
                    targets_file: str, calibration: str, inputs: str) -> Path:
    """Write ``table`` (fitted columns and ``weight``) with its provenance, atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from crmsim.experiments.store import atomic_write

    provenance = {STAMP_KEY: model_stamp(), "targets_file": targets_file, "calibration": calibration,
                  "inputs": inputs, "parameters": {name: [float(low), float(high)] for name, (low, high) in
                                                   priors.items()}}
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}),
                                           METADATA_KEY: json.dumps(provenance).encode()})
    return atomic_write(path, lambda p: pq.write_table(arrow, p))


def _provenance_problem(provenance: Any) -> str | None:
    if not isinstance(provenance, dict):
        return "not a table of fields"
    stamp = provenance.get(STAMP_KEY)
    if not isinstance(stamp, dict) or not all(isinstance(stamp.get(k), str) for k in ("crmsim", "code")):
        return f"{STAMP_KEY}: missing or malformed (the model that made it)"
    parameters = provenance.get("parameters")
    if not isinstance(parameters, dict) or not parameters:
        return "parameters: missing or empty (the fitted parameters and their priors)"
    for name, bounds in parameters.items():
        if (not isinstance(bounds, list) or len(bounds) != 2 or not all(isinstance(b, (int, float)) for b in bounds)
                or not bounds[0] < bounds[1]):
            return f"parameters.{name}: got {json.dumps(bounds)}; allowed: [low, high] with low below high"
    return None


def read_posterior(path: str | Path) -> Posterior:
    """The posterior at ``path``, checked against its own provenance (PosteriorError: one line)."""
    import pyarrow.parquet as pq

    path = Path(path)
    hint = "allowed: the posterior.parquet crmsim calibrate writes"
    try:
        arrow = pq.read_table(path)
    except FileNotFoundError:
        raise PosteriorError(f"{path}: no such file; {hint}") from None
    except (OSError, ValueError) as err:
        raise PosteriorError(one_line(f"{path}: not a readable Parquet file ({err}); {hint}")) from None
    raw = (arrow.schema.metadata or {}).get(METADATA_KEY)
    if raw is None:
        raise PosteriorError(f"{path}: has no provenance (which model and targets made it); {hint}, with "
                             f"today's crmsim")
    try:
        provenance = json.loads(raw)
    except ValueError:
        provenance = None
    problem = _provenance_problem(provenance)
    if problem is not None:
        raise PosteriorError(f"{path}: provenance: {problem}; {hint}")
    table = arrow.to_pandas()
    for name, (low, high) in provenance["parameters"].items():
        if name not in table.columns:
            raise PosteriorError(f"{path}: column {name}: missing; {hint}")
        values = pd.to_numeric(table[name], errors="coerce").to_numpy(float)
        outside = ~np.isfinite(values) | (values < low) | (values > high)
        if outside.any():
            row = int(np.flatnonzero(outside)[0])
            raise PosteriorError(f"{path}: {name}: row {row} holds {table[name].iloc[row]!r}; allowed: a number from "
                                 f"{low:g} to {high:g} (its prior)")
    if "weight" not in table.columns or table.empty:
        raise PosteriorError(f"{path}: {'weight: missing' if 'weight' not in table.columns else 'no particles'}; "
                             f"{hint}")
    weights = pd.to_numeric(table["weight"], errors="coerce").to_numpy(float)
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
        raise PosteriorError(f"{path}: weight: not a set of non-negative weights with a positive sum; {hint}")
    return Posterior(path, table, provenance)
