"""The results folder is trusted only as far as its manifest vouches for it.

Every reader (``report``, ``rerun``, ``load_results``, a resumed sweep) checks
the manifest's shape and that every part belongs to it; a damaged part is
named (and set aside and re-run by ``--resume``); nothing is mixed, counted
twice or lost silently; a sweep that saved nothing leaves nothing; reports
are written atomically; two sweeps never write one folder.
"""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crmsim.experiments import analysis
from crmsim.commands import main
from crmsim.experiments.evaluators import SequentialEvaluator
from crmsim.experiments.runner import run_sweep
from crmsim.experiments.spec import load_experiment
from crmsim.experiments.store import ResultStore, StoreError
from tests.experiments_util import cli, fail_models_of_size, sorted_rows, write_experiment

# 3 points x 2 replicates of 100 citizens over 2 weeks: a second in all.
SMALL = """
name = "small"
scenario = "{baseline}"
steps = 2
replications = 2
seed = 3
[set]
warmup = 2
population.n_citizens = 100
population.prescribers_per_1000 = 20
[vary]
levers.faq_quality = [0.0, 0.4, 0.8]
[outputs]
every_step = ["trust_mean"]
at_end = ["trust_mean", "take_up"]
"""

# Another experiment, with the same columns.
OTHER = SMALL.replace('name = "small"', 'name = "other"').replace("seed = 3", "seed = 4")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """The small experiment swept once, one run per part, and its rows."""
    folder = tmp_path_factory.mktemp("small")
    path = write_experiment(folder, SMALL, "small.toml")
    other = write_experiment(folder, OTHER, "other.toml")
    with SequentialEvaluator() as ev:
        result = run_sweep(load_experiment(path), folder / "out", ev, chunk_size=1)
        other_root = run_sweep(load_experiment(other), folder / "out", ev, chunk_size=1).root
    assert result.complete and len(ResultStore(result.root).part_files()) == 6
    return path, result.root, other_root, sorted_rows(ResultStore(result.root).read())


@pytest.fixture
def copy(saved, tmp_path):
    """A copy of the saved sweep, in ``tmp_path/out/small``, to damage."""
    root = tmp_path / "out" / "small"
    shutil.copytree(saved[1], root)
    return root


def _part_of(root: Path, run_id: int) -> Path:
    return next(p for p in ResultStore(root).part_files()
                if run_id in pq.read_table(p, columns=["run_id"]).column("run_id").to_pylist())


def _refused(proc, *words: str) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    for word in words:
        assert word in proc.stderr, (word, proc.stderr)


# --- the manifest ------------------------------------------------------------------------------

SHAPES = {
    "a list": "[]",
    "a string": '"x"',
    "an empty table": "{}",
    "run_count missing": lambda m: m.pop("run_count"),
    "factors not a list": lambda m: m.update(factors="x"),
    "run count not points x replications": lambda m: m.update(run_count=7),
    "paths not the factors": lambda m: m.update(paths={}),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_manifest_of_the_wrong_shape_is_one_line_for_every_reader(shape, saved, copy, capsys):
    change = SHAPES[shape]
    manifest = copy / "manifest.json"
    if isinstance(change, str):
        manifest.write_text(change)
    else:
        data = json.loads(manifest.read_text())
        change(data)
        manifest.write_text(json.dumps(data))
    for argv in (["report", str(copy)], ["rerun", str(copy), "0"],
                 ["sweep", str(saved[0]), "--resume", "--sequential", "--out", str(copy.parent)]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and str(manifest) in err and "allowed: a manifest.json" in err, err
    with pytest.raises(StoreError, match="manifest.json"):
        analysis.load_results(copy)


def test_a_misshapen_manifest_as_real_processes(copy):
    (copy / "manifest.json").write_text("[]")
    _refused(cli("report", copy), str(copy / "manifest.json"), "(top level)")
    (copy / "manifest.json").write_text("{}")
    _refused(cli("rerun", copy, 1), str(copy / "manifest.json"), "missing")


# --- damaged parts -------------------------------------------------------------------------------

def test_a_damaged_part_is_named_by_report_and_rerun_and_run_again_by_resume(saved, copy):
    path, _, _, reference = saved
    truncated, emptied = _part_of(copy, 1), _part_of(copy, 4)
    truncated.write_bytes(truncated.read_bytes()[:200])
    emptied.write_bytes(b"")
    report = cli("report", copy)
    _refused(report, str(truncated), "damaged, cannot be read", "--resume")
    _refused(cli("rerun", copy, 0), str(truncated), "damaged")
    assert not (copy / "report.html").exists() and not (copy / "summary.csv").exists()

    proc = cli("sweep", path, "--resume", "--sequential", "--out", copy.parent)
    assert proc.returncode == 0, proc.stderr
    warnings = proc.stderr.splitlines()
    assert len(warnings) == 2 and all(w.startswith("crmsim: warning: ") for w in warnings), proc.stderr
    for part in (truncated, emptied):
        assert any(str(part) in w and f"moved to {copy / 'damaged' / part.name}" in w for w in warnings)
        assert (copy / "damaged" / part.name).exists() and not part.exists()
    assert "4 of 6 runs already saved" in proc.stdout
    store = ResultStore(copy)
    pd.testing.assert_frame_equal(sorted_rows(store.read()), reference, check_exact=True)  # runs 1 and 4 again
    session = store.read_manifest()["sessions"][-1]
    assert session["runs_done"] == 2 and len(session["set_aside"]) == 2
    assert cli("report", copy).returncode == 0


# --- parts that do not belong -----------------------------------------------------------------------

def _rewrite(part: Path, target: Path, change) -> None:
    table = pq.read_table(part)
    rows = change(table.to_pandas())
    pq.write_table(pa.Table.from_pandas(rows, preserve_index=False).replace_schema_metadata(table.schema.metadata),
                   target)


def _copied_part(root: Path, other: Path) -> tuple[Path, str]:
    part = _part_of(root, 2)
    target = root / "parts" / "part-000000002-zz-copy.parquet"  # sorts after the original: named second
    shutil.copy(part, target)
    return target, f"run 2 is also in {part.name}"


def _run_out_of_range(root: Path, other: Path) -> tuple[Path, str]:
    target = root / "parts" / "part-000000060-late.parquet"
    _rewrite(_part_of(root, 0), target, lambda rows: rows.assign(run_id=rows["run_id"] + 60))
    return target, "run id 60 is outside this sweep; allowed: run ids 0 to 5"


def _other_experiment(root: Path, other: Path) -> tuple[Path, str]:
    target = root / "parts" / "part-000000006-other.parquet"
    shutil.copy(_part_of(other, 0), target)  # the other sweep's part, as it was written
    return target, "not a part of this sweep (written by experiment 'other')"


def _foreign_columns(root: Path, other: Path) -> tuple[Path, str]:
    target = root / "parts" / "part-000000003-renamed.parquet"
    part = _part_of(root, 3)
    _rewrite(part, target, lambda rows: rows.rename(columns={"levers.faq_quality": "policy"}))
    part.unlink()
    return target, "columns kind, run_id, point, replicate, seed, policy"


def _run_twice_in_a_part(root: Path, other: Path) -> tuple[Path, str]:
    part = _part_of(root, 5)
    _rewrite(part, part, lambda rows: pd.concat([rows, rows], ignore_index=True))
    return part, "run 5 has 4 final rows; allowed: 2"


def _without_identity(root: Path, other: Path) -> tuple[Path, str]:
    part = _part_of(root, 1)
    pq.write_table(pq.read_table(part).replace_schema_metadata(None), part)
    return part, "without this sweep's identity"


FOREIGN = {"a copy under another name": _copied_part, "run ids past the run count": _run_out_of_range,
           "a part of another experiment": _other_experiment, "other columns": _foreign_columns,
           "a run twice in one part": _run_twice_in_a_part, "a part without identity": _without_identity}


@pytest.mark.parametrize("case", sorted(FOREIGN))
def test_a_part_that_does_not_belong_is_refused_by_every_reader(case, saved, copy, capsys):
    path, _, other, _ = saved
    part, words = FOREIGN[case](copy, other)
    _refused(cli("report", copy), str(part), words)  # before: exit 0, n = 17 of 15, NaN policies...
    assert not (copy / "summary.csv").exists()
    assert main(["rerun", str(copy), "0"]) == 2
    assert words in capsys.readouterr().err
    with pytest.raises(StoreError, match="parts"):
        analysis.load_results(copy)
    with SequentialEvaluator() as ev, pytest.raises(StoreError, match="parts"):
        run_sweep(load_experiment(path), copy.parent, ev, resume=True)


# --- a sweep that saved nothing leaves nothing -------------------------------------------------------

def test_a_sweep_that_fails_before_saving_a_run_leaves_nothing_and_runs_again_without_resume(tmp_path, monkeypatch,
                                                                                           capsys):
    # Every input is valid; the model itself fails on the first point's runs (here made to, in this process).
    fail_models_of_size(monkeypatch, 200)
    path = write_experiment(tmp_path, """
scenario = "{baseline}"
steps = 2
[vary]
population.n_citizens = [200, 100]
""", "fails.toml")
    for attempt in range(2):  # the second is a plain re-run: not "already holds a sweep; add --resume"
        code = main(["sweep", str(path), "--sequential", "--chunk-size", "1", "--out", str(tmp_path / "out")])
        err = capsys.readouterr().err
        assert code == 1 and err.count("\n") == 1, err
        assert "run 0 (point 0" in err and "no run was saved; fix, then sweep again" in err
        assert not (tmp_path / "out" / "fails").exists(), attempt


def test_a_complete_network_too_large_to_hold_is_refused_when_the_file_is_read(tmp_path):
    path = write_experiment(tmp_path, """
scenario = "{baseline}"
steps = 2
[set]
network.topology = "complete"
population.n_citizens = 100
[vary]
population.n_citizens = [6000, 100]
""", "too_big.toml")
    proc = cli("sweep", path, "--sequential", "--out", tmp_path / "out")
    assert proc.returncode == 2 and "population.n_citizens" in proc.stderr and "at most 5000" in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1 and not (tmp_path / "out").exists()


# --- report files are written atomically -------------------------------------------------------------

def test_report_files_are_replaced_whole_or_not_at_all(saved, copy, monkeypatch):
    from crmsim.viz.report import write_report

    written = write_report(copy)
    before = {p.name: p.read_bytes() for p in written}
    original = Path.write_text

    def full_disk(self, text, *args, **kwargs):
        if self.name.startswith(".report.html"):
            original(self, text[:100], *args, **kwargs)
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(StoreError, match="report.html: No space left on device"):
        write_report(copy)
    assert (copy / "report.html").read_bytes() == before["report.html"]  # the old page, whole
    assert not list(copy.glob(".*.tmp")) and not list(copy.glob("*.tmp"))

    def failing_disk(self, path, **kwargs):
        Path(path).write_bytes(b"point,")
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(pd.DataFrame, "to_csv", failing_disk)
    with pytest.raises(StoreError, match="summary.csv: I/O error"):
        write_report(copy)
    assert (copy / "summary.csv").read_bytes() == before["summary.csv"]
    assert not list(copy.glob(".*.tmp"))


# --- one writer at a time ---------------------------------------------------------------------------

def test_the_lock_is_filelock_and_a_second_sweep_is_refused(saved, copy):
    from filelock import FileLock

    path = saved[0]
    _part_of(copy, 3).unlink()  # one run left to do
    with FileLock(copy / ".lock", timeout=0):  # what another process's sweep holds
        proc = cli("sweep", path, "--resume", "--sequential", "--out", copy.parent)
    _refused(proc, str(copy), "another sweep is writing here")
    assert ResultStore(copy).done_run_ids() == {0, 1, 2, 4, 5}
    proc = cli("sweep", path, "--resume", "--sequential", "--out", copy.parent)  # released: it runs
    assert proc.returncode == 0 and "5 of 6 runs already saved" in proc.stdout
    assert ResultStore(copy).done_run_ids() == set(range(6))
