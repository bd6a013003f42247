"""Parquet files that say what their numbers are: each metric's label, unit and direction, read from
:data:`crmsim.model.metrics.INFO`, travel in the file's own metadata.

A table read back years later, or by another tool, still tells that
``lost_users`` is a share of citizens and that lower is better. Two places
hold it, both written here so that every writer agrees:

- the schema's metadata, key ``crmsim.metrics``: a JSON object from each
  metric the file holds (as a column, or as a value of a tidy ``metric``
  column, as a sweep's parts have) to its ``label``, ``unit``, ``direction``
  ("higher", "lower" or "none") and ``better`` (the direction in words);
- each metric column's own field metadata (a wide table, as ``crmsim run
  --out`` writes): the same four keys.

The texts are the English source strings; :mod:`crmsim.texts.i18n` translates
them for people.

>>> import pyarrow as pa
>>> table = described(pa.table({"step": [0, 1], "lost_users": [0.2, 0.19]}))
>>> read_metrics(table.schema)["lost_users"]["unit"], table.schema.field("lost_users").metadata[b"direction"]
('share of citizens', b'lower')
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from crmsim.model.metrics import INFO

__all__ = ["METRICS_KEY", "descriptions", "described", "read_metrics", "write_described_parquet"]

METRICS_KEY = b"crmsim.metrics"


def descriptions(names: Iterable[str]) -> dict[str, dict[str, str]]:
    """Each named metric INFO knows: its label, unit, direction and ``better``, in the order given."""
    return {name: {"label": INFO[name].label, "unit": INFO[name].unit, "direction": INFO[name].direction,
                   "better": INFO[name].better} for name in dict.fromkeys(names) if name in INFO}


def described(table: pa.Table) -> pa.Table:
    """``table`` with every metric it holds described in its schema's metadata and on its metric columns."""
    named = pc.unique(table.column("metric")).to_pylist() if "metric" in table.column_names else []
    info = descriptions([*table.column_names, *named])
    fields = [field.with_metadata({**(field.metadata or {}), **{k.encode(): v.encode() for k, v in
                                                                 info[field.name].items()}})
              if field.name in info else field for field in table.schema]
    metadata = {**(table.schema.metadata or {}), METRICS_KEY: json.dumps(info).encode()}
    return pa.Table.from_arrays(table.columns, schema=pa.schema(fields, metadata=metadata))


def read_metrics(schema: pa.Schema) -> dict[str, dict[str, str]]:
    """What a file written here says of its metrics ({} for a file without it)."""
    raw = (schema.metadata or {}).get(METRICS_KEY)
    return json.loads(raw) if raw else {}


def write_described_parquet(frame: pd.DataFrame, path: Path) -> None:
    """``frame`` as a Parquet file at ``path``, its metrics described."""
    pq.write_table(described(pa.Table.from_pandas(frame, preserve_index=False)), path)
