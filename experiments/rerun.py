"""Re-run one run of a finished (or partly finished) sweep and check it against its saved rows.

Everything comes from the results folder, never from the experiment file: the
base scenario and the metrics from ``manifest.json``, the design point's values
from ``design.parquet``, the seed from the master seed and the run's replicate
(:func:`experiments.seeds.replicate_seed`). The rows must be identical, bit for
bit. A folder whose manifest says its seeds were drawn another way (by an
older version) is refused rather than reported as a mismatch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from crmsim.experiments.execute import run_one
from crmsim.experiments.runner import task_for
from crmsim.experiments.seeds import SCHEME
from crmsim.experiments.store import ResultStore, StoreError, code_version
from crmsim.texts.i18n import _

__all__ = ["RerunMismatch", "rerun_run", "rows_of_run", "first_difference"]


class RerunMismatch(RuntimeError):
    """The re-run's rows differ from the saved ones; the message says where first."""


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a fixed order, with the dtypes a Parquet round trip gives."""
    frame = pa.Table.from_pandas(frame, preserve_index=False).to_pandas()
    return frame.sort_values(["kind", "step", "metric"], kind="stable").reset_index(drop=True)


def first_difference(saved: pd.DataFrame, fresh: pd.DataFrame) -> str | None:
    """None when the two tables are identical; else where they first differ, in words."""
    saved, fresh = _canonical(saved), _canonical(fresh)
    if list(saved.columns) != list(fresh.columns):
        return f"columns differ: saved {list(saved.columns)}, now {list(fresh.columns)}"
    if len(saved) != len(fresh):
        return f"{len(saved)} rows saved, {len(fresh)} now"
    for column in saved.columns:
        a, b = saved[column].to_numpy(), fresh[column].to_numpy()
        if a.dtype.kind == "f" and b.dtype.kind == "f":
            same = (a == b) | (np.isnan(a) & np.isnan(b))
        else:
            same = a == b
        if not np.all(same):
            i = int(np.flatnonzero(~np.asarray(same))[0])
            where = f"{saved.at[i, 'kind']} step {saved.at[i, 'step']} {saved.at[i, 'metric']}"
            return f"{column} at {where}: saved {a[i]!r}, now {b[i]!r}"
    return None


def rows_of_run(root: str | Path, run_id: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(saved rows, re-run rows, manifest) of one run."""
    store = ResultStore(root)
    manifest = store.read_manifest()
    if manifest.get("seeds") != SCHEME:
        raise StoreError(f"{store.root}: this sweep drew its seeds another way ({manifest.get('seeds')}); "
                         f"rerun it with the code that wrote it (version {manifest.get('code_version')})")
    total = manifest["run_count"]
    if not 0 <= run_id < total:
        raise StoreError(f"{store.root}: RUN_ID: no run {run_id}; allowed: 0 to {total - 1}")
    if run_id not in store.done_run_ids(manifest):  # every part checked against the manifest first
        raise StoreError(f"{store.root}: run {run_id} is not saved yet; finish the sweep with --resume")
    saved = store.read(run_ids=[run_id], manifest=manifest)
    reps = manifest["replications"]
    design = store.read_design(manifest)
    point = design.loc[design["point"] == run_id // reps].iloc[0]
    values = {f["name"]: point[f["name"]] for f in manifest["factors"]}
    task = task_for(run_id, values, reps, manifest["master_seed"])
    fresh = run_one(task, manifest["base_scenario"], manifest["paths"], tuple(manifest["every_step"]),
                    tuple(manifest["final"]), manifest.get("scenarios") or {})
    return saved, fresh, manifest


def rerun_run(root: str | Path, run_id: int) -> str:
    """Re-run ``run_id``; return a one-line confirmation, or raise RerunMismatch."""
    saved, fresh, manifest = rows_of_run(root, run_id)
    difference = first_difference(saved, fresh)
    seed, point, replicate = (int(saved[c].iloc[0]) for c in ("seed", "point", "replicate"))
    now_version = code_version()
    note = "" if now_version == manifest.get("code_version") else \
        " " + _("(code was {then}, now {now})").format(then=manifest.get("code_version"), now=now_version)
    if difference is not None:
        raise RerunMismatch(f"run {run_id} (point {point}, replicate {replicate}, seed {seed}) differs from the "
                            f"saved rows: {difference}{note}")
    return _("run {run} (point {point}, replicate {replicate}, seed {seed}): {rows} rows, identical to the saved "
             "ones{note}").format(run=run_id, point=point, replicate=replicate, seed=seed, rows=len(fresh), note=note)
