"""The results store: ``results/<experiment>/`` on disk, and nothing only in memory.

Layout::

    results/<experiment>/
        manifest.json      the spec, base scenario, factors, master seed, code and package
                           versions, run count, started/finished times, one entry per session
        design.parquet     one row per design point: its values (and the sampler's coordinates)
        parts/part-*.parquet
                           one file per finished chunk of runs, tidy rows (see experiments.execute)
        .lock              held while a sweep writes here

Every file is written atomically: a temporary file in the same folder, flushed
to disk, then renamed over the final name (``os.replace``). A reader, or a
sweep resumed after a crash, sees a part whole or not at all. The finished
runs are exactly the run ids found in the parts.

Examples
--------
>>> import tempfile, pandas as pd
>>> store = ResultStore(tempfile.mkdtemp())
>>> _ = store.write_part(pd.DataFrame({"kind": ["final"], "run_id": [3], "step": [0], "metric": ["m"], "value": [1.0]}))
>>> store.done_run_ids()
{3}
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import secrets
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

__all__ = ["ResultStore", "StoreError", "code_version", "package_versions", "now"]

PACKAGES = ("crmsim", "mesa", "numpy", "scipy", "pandas", "pyarrow", "networkx", "pydantic", "SALib", "dask",
            "distributed", "plotly")


class StoreError(ValueError):
    """A results folder that cannot be used as asked; one line for a person."""


def now() -> str:
    """The time now, ISO 8601 in UTC."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def code_version() -> str:
    """``git describe --always --dirty`` of the source tree, else the installed crmsim version."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty", "--tags"], cwd=here, capture_output=True,
                             text=True, timeout=10)
        if out.returncode == 0 and out.stdout.strip():
            return f"git {out.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        return f"crmsim {metadata.version('crmsim')}"
    except metadata.PackageNotFoundError:
        return "unknown"


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages the results depend on."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not possible on every platform
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Write through ``write(temp_path)``, flush to disk, then rename to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        write(temp)
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    _fsync_dir(path.parent)
    return path


class ResultStore:
    """One experiment's results folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.manifest_path = self.root / "manifest.json"
        self.design_path = self.root / "design.parquet"
        self.parts_dir = self.root / "parts"

    # -- manifest and design ------------------------------------------------------------------
    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def read_manifest(self) -> dict[str, Any]:
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise StoreError(f"{self.root}: no manifest.json here; is this a results folder of a sweep?") from None
        except (OSError, json.JSONDecodeError) as err:
            raise StoreError(f"{self.manifest_path}: cannot read: {err}") from None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        text = json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n"
        atomic_write(self.manifest_path, lambda p: p.write_text(text, encoding="utf-8"))

    def update_manifest(self, update: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        manifest = self.read_manifest()
        update(manifest)
        self.write_manifest(manifest)
        return manifest

    def write_design(self, frame: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        atomic_write(self.design_path, lambda p: pq.write_table(table, p))

    def read_design(self) -> pd.DataFrame:
        try:
            return pq.read_table(self.design_path).to_pandas()
        except FileNotFoundError:
            raise StoreError(f"{self.root}: no design.parquet here") from None

    # -- parts --------------------------------------------------------------------------------
    def part_files(self) -> list[Path]:
        """Finished parts, in name order (temporary files are not parts)."""
        if not self.parts_dir.is_dir():
            return []
        return sorted(p for p in self.parts_dir.glob("part-*.parquet"))

    def write_part(self, frame: pd.DataFrame) -> Path:
        """Write one finished chunk's rows as a new part, atomically."""
        first = int(frame["run_id"].min())
        name = f"part-{first:09d}-{secrets.token_hex(4)}.parquet"
        table = pa.Table.from_pandas(frame, preserve_index=False)
        return atomic_write(self.parts_dir / name, lambda p: pq.write_table(table, p))

    def remove_temporary(self) -> int:
        """Delete temporary files left by a writer that was killed; returns how many."""
        removed = 0
        for folder in (self.root, self.parts_dir):
            if folder.is_dir():
                for temp in folder.glob(".*.tmp"):
                    temp.unlink(missing_ok=True)
                    removed += 1
        return removed

    def done_run_ids(self) -> set[int]:
        """The run ids with rows in some part. Raises StoreError if a run is in two parts."""
        seen: dict[int, Path] = {}
        for part in self.part_files():
            ids = pq.read_table(part, columns=["run_id"]).column("run_id").unique().to_pylist()
            for run_id in ids:
                if run_id in seen:
                    raise StoreError(f"{self.root}: run {run_id} is in both {seen[run_id].name} and {part.name}")
                seen[run_id] = part
        return set(seen)

    def read(self, kind: str | None = None, run_ids: list[int] | None = None,
             columns: list[str] | None = None) -> pd.DataFrame:
        """All rows of all parts (optionally only ``kind`` 'series' or 'final', or some runs)."""
        files = [str(p) for p in self.part_files()]
        if not files:
            raise StoreError(f"{self.root}: no results yet (no parts in {self.parts_dir})")
        dataset = ds.dataset(files, format="parquet")
        condition = None
        if kind is not None:
            condition = ds.field("kind") == kind
        if run_ids is not None:
            has_run = ds.field("run_id").isin(pa.array(run_ids, pa.int64()))
            condition = has_run if condition is None else condition & has_run
        return dataset.to_table(filter=condition, columns=columns).to_pandas()

    # -- one writer at a time -----------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold ``.lock`` so that two sweeps never write the same folder; released even on SIGKILL."""
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no locking
            yield
            return
        with open(self.root / ".lock", "a+") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(f"{self.root}: another sweep is writing here") from None
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
