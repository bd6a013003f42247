"""The results store: ``results/<experiment>/`` on disk, and nothing only in memory.

Layout::

    results/<experiment>/
        manifest.json      the spec, base scenario, factors, master seed, code and package
                           versions, run count, started/finished times, one entry per session,
                           and the sweep's identity (a hash of what defines its rows)
        design.parquet     one row per design point: its values (and the sampler's coordinates)
        parts/part-*.parquet
                           one file per finished chunk of runs, tidy rows (see experiments.execute);
                           each part's Parquet metadata carries the sweep's identity and what
                           each metric is: label, unit, direction (experiments.described)
        damaged/           parts a resumed sweep could not read, moved out of parts/
        .lock              held while a sweep writes here

Every file is written atomically: a temporary file in the same folder, flushed
to disk, then renamed over the final name (``os.replace``). A reader, or a
sweep resumed after a crash, sees a part whole or not at all.

Every reader trusts the manifest, not the folder listing:
:meth:`ResultStore.read_manifest` checks the manifest's shape, and
:meth:`ResultStore.check_parts` checks that every part belongs to it (the
same identity and columns, run ids from 0 to the run count, each run whole
and in one part only) before any row is used, and names the file that does
not. The finished runs are exactly the run ids found in the parts.

Examples
--------
>>> import tempfile, pandas as pd
>>> store = ResultStore(tempfile.mkdtemp())
>>> store.write_manifest({"experiment": "x", "spec": {}, "base_scenario": {}, "factors": [], "paths": {},
...     "design": {"kind": "full_factorial"}, "master_seed": 0, "seeds": "", "replications": 4, "points": 1,
...     "run_count": 4, "every_step": [], "final": ["m"], "code_version": "", "started": "", "finished": None,
...     "sessions": [], "identity": "abc"})
>>> frame = pd.DataFrame({"kind": ["final"], "run_id": [3], "point": [0], "replicate": [3], "seed": [7],
...                       "step": [0], "metric": ["m"], "value": [1.0]})
>>> _ = store.write_part(frame, identity="abc", experiment="x")
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
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any, Callable, Iterator, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from filelock import FileLock, Timeout
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crmsim.experiments.described import described
from crmsim.experiments.design import DESIGNS, Factor
from crmsim.experiments.execute import KEY_COLUMNS

__all__ = ["ResultStore", "StoreError", "DamagedPart", "PartsCheck", "atomic_write", "code_version",
           "package_versions", "now"]

PACKAGES = ("crmsim", "mesa", "numpy", "scipy", "pandas", "pyarrow", "networkx", "pydantic", "SALib", "dask",
            "distributed", "plotly")

# Keys of a part's Parquet metadata: the sweep it belongs to.
IDENTITY_KEY, EXPERIMENT_KEY = b"crmsim.identity", b"crmsim.experiment"


class StoreError(ValueError):
    """A results folder that cannot be used as asked; one line for a person."""


class DamagedPart(StoreError):
    """A part file that cannot be read (truncated, empty, not Parquet); ``part`` is its path."""

    def __init__(self, part: Path, reason: str) -> None:
        self.part, self.reason = part, reason
        super().__init__(f"{part}: damaged, cannot be read ({reason}); allowed: parts written whole by crmsim "
                         f"sweep (sweep the experiment again with --resume: it moves the part aside and runs its "
                         f"runs again)")


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


def _reason(err: BaseException) -> str:
    """An error in a few words on one line: an OSError's own ('Read-only file system'), else its text."""
    text = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
    return " ".join((text or type(err).__name__).split())


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Write through ``write(temp_path)``, flush to disk, then rename to ``path``.

    A failure (a read-only folder, a full disk) raises StoreError naming
    ``path``, and leaves neither a changed ``path`` nor a temporary file behind.
    """
    temp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(temp)
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as err:
        blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
        why = f"{blocker} is a file, not a folder" if blocker is not None else _reason(err)
        raise StoreError(f"cannot write {path}: {why}") from None
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()
    _fsync_dir(path.parent)
    return path


_COUNT = Annotated[int, Field(ge=1)]


class _Manifest(BaseModel):
    """What every reader of manifest.json relies on; other keys are kept as they are."""

    model_config = ConfigDict(extra="allow", strict=True)
    experiment: str
    spec: dict[str, Any]
    base_scenario: dict[str, Any]
    scenarios: dict[str, dict[str, Any]] = {}  # vary.scenario: each file's scenario; absent in older sweeps
    factors: list[dict[str, Any]]
    paths: dict[str, str]
    design: dict[str, Any]
    master_seed: int
    seeds: str
    replications: _COUNT
    points: _COUNT
    run_count: _COUNT
    every_step: list[str]
    final: Annotated[list[str], Field(min_length=1)]
    code_version: str
    started: str
    finished: str | None
    sessions: list[dict[str, Any]]
    identity: str | None = None  # absent in sweeps started before parts carried it


def _manifest_problem(data: Any) -> str | None:
    """Why ``data`` is not a manifest a reader can use, as 'field: problem', or None."""
    if not isinstance(data, dict):
        return f"(top level): got {type(data).__name__} {json.dumps(data)[:40]}, not a table of fields"
    try:
        manifest = _Manifest.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        if first["type"] == "missing":
            return f"{where}: missing"
        return f"{where}: got {json.dumps(first.get('input'), default=str)[:40]} ({first['msg'].lower()})"
    if manifest.run_count != manifest.points * manifest.replications:
        return (f"run_count: got {manifest.run_count}, but points x replications = "
                f"{manifest.points} x {manifest.replications}")
    if manifest.design.get("kind") not in DESIGNS:
        return f"design.kind: got {manifest.design.get('kind')!r}; expected one of {', '.join(DESIGNS)}"
    for i, factor in enumerate(manifest.factors):
        try:
            Factor.from_dict(factor)
        except (TypeError, ValueError) as err:
            return f"factors[{i}]: {_reason(err)}"
    names = [f["name"] for f in manifest.factors if not (f["name"] == "scenario" and manifest.scenarios)]
    if names != list(manifest.paths):
        return f"paths: names {list(manifest.paths)} differ from the factors' {names}"
    if manifest.scenarios and "scenario" not in {f["name"] for f in manifest.factors}:
        return "scenarios: given, but no factor named 'scenario' varies them"
    return None


@dataclass
class PartsCheck:
    """The parts of a sweep, checked against its manifest.

    ``files``: the parts to read; ``run_ids``: the finished runs, sorted;
    ``set_aside``: damaged parts moved to ``damaged/`` (part, new path, reason);
    ``skipped``: damaged parts left where they are (part, reason).
    """

    files: list[Path] = field(default_factory=list)
    run_ids: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    set_aside: list[tuple[Path, Path, str]] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


class ResultStore:
    """One experiment's results folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.manifest_path = self.root / "manifest.json"
        self.design_path = self.root / "design.parquet"
        self.parts_dir = self.root / "parts"
        self.damaged_dir = self.root / "damaged"

    # -- manifest and design ------------------------------------------------------------------
    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def read_manifest(self) -> dict[str, Any]:
        """The manifest, checked: StoreError (one line naming the file) if it is missing, unreadable or misshapen."""
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise StoreError(f"{self.root}: no manifest.json here; is this a results folder of a sweep?") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise StoreError(f"{self.manifest_path}: cannot read: {_reason(err)}; allowed: a manifest.json as crmsim "
                             f"sweep writes it (damaged or edited?)") from None
        problem = _manifest_problem(data)
        if problem is not None:
            raise StoreError(f"{self.manifest_path}: {problem}; allowed: a manifest.json as crmsim sweep writes "
                             f"it (damaged or edited?)")
        return data

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

    def read_design(self, manifest: dict[str, Any] | None = None) -> pd.DataFrame:
        """design.parquet; with ``manifest``, checked to have one row per design point, in order."""
        try:
            design = pq.read_table(self.design_path).to_pandas()
        except FileNotFoundError:
            raise StoreError(f"{self.root}: no design.parquet here") from None
        except (pa.ArrowException, OSError) as err:
            raise StoreError(f"{self.design_path}: damaged, cannot be read ({_reason(err)})") from None
        if manifest is not None:
            names = [f["name"] for f in manifest["factors"]]
            if ("point" not in design.columns or not set(names) <= set(design.columns)
                    or design["point"].tolist() != list(range(manifest["points"]))):
                raise StoreError(f"{self.design_path}: does not match manifest.json (expected points 0 to "
                                 f"{manifest['points'] - 1} with columns point, {', '.join(names) or '(none)'})")
        return design

    # -- parts --------------------------------------------------------------------------------
    def part_files(self) -> list[Path]:
        """Files named like parts, in name order (temporary files are not parts); not checked."""
        if not self.parts_dir.is_dir():
            return []
        return sorted(p for p in self.parts_dir.glob("part-*.parquet"))

    def write_part(self, frame: pd.DataFrame, *, identity: str | None = None, experiment: str = "") -> Path:
        """Write one finished chunk's rows as a new part, atomically, marked with the sweep's ``identity``."""
        first = int(frame["run_id"].min())
        name = f"part-{first:09d}-{secrets.token_hex(4)}.parquet"
        table = described(pa.Table.from_pandas(frame, preserve_index=False))  # each metric's label, unit, direction
        if identity is not None:
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), IDENTITY_KEY: identity.encode(),
                                                   EXPERIMENT_KEY: experiment.encode()})
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

    def _check_part(self, part: Path, manifest: dict[str, Any], columns: list[str]) -> np.ndarray:
        """The run ids of one part, after checking it belongs to ``manifest``; DamagedPart if unreadable."""
        try:
            parquet = pq.ParquetFile(part)
            schema = parquet.schema_arrow
        except (pa.ArrowException, OSError) as err:
            raise DamagedPart(part, _reason(err)) from None
        meta = schema.metadata or {}
        identity = manifest.get("identity")
        if identity is not None and meta.get(IDENTITY_KEY) != identity.encode():
            theirs = meta.get(EXPERIMENT_KEY, b"").decode(errors="replace")
            who = f"by experiment {theirs!r}" if theirs and theirs != manifest["experiment"] else \
                "by another sweep" if theirs else "without this sweep's identity"
            raise StoreError(f"{part}: not a part of this sweep (written {who}); allowed: parts of experiment "
                             f"{manifest['experiment']!r} as described by {self.manifest_path}")
        if schema.names != columns:
            raise StoreError(f"{part}: columns {', '.join(schema.names)} are not this sweep's "
                             f"({', '.join(columns)}); allowed: parts of experiment {manifest['experiment']!r}")
        try:
            table = parquet.read(columns=["run_id", "kind"])
        except (pa.ArrowException, OSError) as err:
            raise DamagedPart(part, _reason(err)) from None
        ids = table.column("run_id").to_numpy()
        total = manifest["run_count"]
        if len(ids) == 0:
            raise StoreError(f"{part}: holds no rows; allowed: a part holds the rows of at least one run")
        if ids.min() < 0 or ids.max() >= total:
            bad = int(ids.min() if ids.min() < 0 else ids.max())
            raise StoreError(f"{part}: run id {bad} is outside this sweep; allowed: run ids 0 to {total - 1} "
                             f"({self.manifest_path})")
        odd = set(pc.unique(table.column("kind")).to_pylist()) - {"series", "final"}
        if odd:
            raise StoreError(f"{part}: kind {sorted(odd, key=str)[0]!r}; allowed: series, final")
        is_final = pc.equal(table.column("kind"), "final").to_numpy(zero_copy_only=False)
        runs = np.unique(ids)
        finished, counts = np.unique(ids[is_final], return_counts=True)
        expected = len(manifest["final"])
        if len(finished) != len(runs) or (counts != expected).any():
            run = int(np.setdiff1d(runs, finished)[0]) if len(finished) != len(runs) else \
                int(finished[np.flatnonzero(counts != expected)[0]])
            got = int(counts[finished == run][0]) if run in finished else 0
            raise StoreError(f"{part}: run {run} has {got} final rows; allowed: {expected}, one per kept metric "
                             f"(a run saved twice, or cut short?)")
        return runs

    def check_parts(self, manifest: dict[str, Any] | None = None,
                    damaged: Literal["raise", "skip", "set_aside"] = "raise") -> PartsCheck:
        """Check every part against the manifest; StoreError naming the first file that does not belong.

        A part must carry the manifest's identity, have its columns, and hold
        whole runs with ids from 0 to the run count; no run may be in two
        parts. A part that cannot be read at all raises DamagedPart
        (``damaged="raise"``), is left out (``"skip"``), or is moved to
        ``damaged/`` so its runs count as not done (``"set_aside"``).
        """
        manifest = self.read_manifest() if manifest is None else manifest
        columns = [*KEY_COLUMNS, *(f["name"] for f in manifest["factors"]), "step", "metric", "value"]
        check = PartsCheck()
        ids: list[np.ndarray] = []
        for part in self.part_files():
            try:
                runs = self._check_part(part, manifest, columns)
            except DamagedPart as err:
                if damaged == "raise":
                    raise
                if damaged == "skip":
                    check.skipped.append((part, err.reason))
                else:
                    check.set_aside.append((part, self._set_aside(part), err.reason))
                continue
            check.files.append(part)
            ids.append(runs)
        if ids:
            every = np.concatenate(ids)
            owner = np.repeat(np.arange(len(ids)), [len(i) for i in ids])
            order = np.argsort(every, kind="stable")
            twice = np.flatnonzero(every[order][1:] == every[order][:-1])
            if twice.size:
                i = twice[0]
                first, second = check.files[owner[order[i]]], check.files[owner[order[i + 1]]]
                raise StoreError(f"{second}: run {int(every[order][i])} is also in {first.name}; allowed: each run "
                                 f"in one part (a copied part? move one of the two out of {self.parts_dir})")
            check.run_ids = np.sort(every)
        return check

    def _set_aside(self, part: Path) -> Path:
        target = self.damaged_dir / part.name
        try:
            self.damaged_dir.mkdir(exist_ok=True)
            os.replace(part, target)
        except OSError as err:
            raise StoreError(f"{part}: damaged, and cannot be moved to {self.damaged_dir}: {_reason(err)}") from None
        return target

    def done_run_ids(self, manifest: dict[str, Any] | None = None) -> set[int]:
        """The run ids with rows in some part, after :meth:`check_parts` (damaged parts raise)."""
        return set(self.check_parts(manifest).run_ids.tolist())

    def read(self, kind: str | None = None, run_ids: list[int] | None = None, columns: list[str] | None = None,
             manifest: dict[str, Any] | None = None) -> pd.DataFrame:
        """All rows of all parts (optionally only ``kind`` 'series' or 'final', or some runs), once checked."""
        files = [str(p) for p in self.check_parts(manifest).files]
        if not files:
            raise StoreError(f"{self.root}: no results yet (no parts in {self.parts_dir})")
        condition = None
        if kind is not None:
            condition = ds.field("kind") == kind
        if run_ids is not None:
            has_run = ds.field("run_id").isin(pa.array(run_ids, pa.int64()))
            condition = has_run if condition is None else condition & has_run
        try:
            return ds.dataset(files, format="parquet").to_table(filter=condition, columns=columns).to_pandas()
        except (pa.ArrowException, OSError) as err:
            raise StoreError(f"{self.parts_dir}: a part is damaged, cannot be read ({_reason(err)})") from None

    # -- a sweep that saved nothing leaves nothing ---------------------------------------------
    def discard(self) -> None:
        """Remove the manifest, design and empty folders of a sweep that saved no part (never a part)."""
        if self.part_files():
            raise StoreError(f"{self.root}: holds parts; not removed")
        for path in (self.manifest_path, self.design_path, self.root / ".lock"):
            with contextlib.suppress(OSError):
                path.unlink()
        for folder in (self.parts_dir, self.root):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty

    def discard_all(self) -> None:
        """Remove every saved run of this sweep (its parts, manifest and design): ``compare --fresh``.

        Only files a sweep writes are removed, under the sweep's lock, so a
        sweep still writing here is refused rather than cut short.
        """
        with self.lock():
            for part in self.part_files():
                part.unlink()
            self.remove_temporary()
            for path in (self.manifest_path, self.design_path):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    def check_writable(self) -> None:
        """StoreError (one line) if results cannot be written at ``root``; leaves no folder or file behind."""
        missing = []
        folder = self.root
        while not folder.exists() and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
        probe = self.root / f".probe.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as err:
            blocker = next((p for p in [folder, *folder.parents] if p.exists() and not p.is_dir()), None)
            if blocker is not None:
                why = f"{blocker} is a file, not a folder"
            else:
                why = f"{_reason(err)} (creating {missing[-1]} in {folder})" if missing else _reason(err)
            raise StoreError(f"cannot write results in {self.root}: {why}; allowed: --out a folder you can "
                             f"write") from None
        finally:
            with contextlib.suppress(OSError):
                probe.unlink()
            for created in missing:
                with contextlib.suppress(OSError):
                    created.rmdir()

    # -- one writer at a time -----------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold ``.lock`` so that two sweeps never write the same folder.

        ``filelock`` takes an OS lock (``flock`` on POSIX, ``msvcrt`` on
        Windows), released by the system even when the holder is killed.
        """
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(f"cannot write results in {self.root}: {_reason(err)}; allowed: --out a folder you can "
                             f"write") from None
        lock = FileLock(self.root / ".lock", timeout=0, fallback_to_soft=False)
        try:
            lock.acquire()
        except Timeout:
            raise StoreError(f"{self.root}: another sweep is writing here") from None
        except OSError as err:
            raise StoreError(f"cannot lock {self.root / '.lock'}: {_reason(err)}") from None
        try:
            yield
        finally:
            lock.release()
