"""Every saved file is checked before it is trusted (issue 33, point 3).

One test per finding: a comparison saved by another model's code, leave-one-out refits of other inputs, damaged
or edited worlds candidates, tampered frontier evaluations, malformed worlds files, and the patterns command's
output folder, SIGTERM and row order. Each runs a tiny world (150 to 300 citizens, a short warm-up, a few weeks)
in this process, through ``crmsim.commands.main``. The bad-input corpus for the same commands
(``tests/corpus_saved.py``, run by tests/test_bad_input_corpus.py) holds many more faults of each kind, state
files included; these tests are the issue's findings, one by one, with what must hold besides the refusal.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
from pathlib import Path

import pandas as pd
import pytest

from crmsim.commands import main
from tests.corpus_saved import (FRONTIER_TAMPERING, WORLDS_FAULTS, edit_row, rehash, scenarios, toy_frontier,
                                two_targets, worlds_file, worlds_spec)

ROOT = Path(__file__).resolve().parents[1]


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    """``crmsim ARGV`` in this process: (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def refused(result: tuple[int, str, str], *words: str) -> str:
    """The one line of a refusal (exit 2, no traceback) that contains every one of ``words``."""
    code, _, err = result
    assert code == 2 and "Traceback" not in err and len(err.splitlines()) == 1, (code, err)
    for word in words:
        assert word in err, (word, err)
    return err


def listing(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` and its bytes: a refusal must leave them all as they were."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- compare: a comparison saved by another model's code ----------------------------------------------------

def test_a_comparison_saved_before_a_policys_levers_changed_in_the_code_is_refused_never_mixed(
        tmp_path, capsys, monkeypatch):
    from crmsim.model import policies

    base, faq = scenarios(tmp_path)
    command = ["compare", base, faq, "--reps", "3", "--sequential", "--quiet", "--out", tmp_path / "out"]
    assert run(command, capsys)[0] == 0
    folder = tmp_path / "out" / "base_vs_faq"
    saved = listing(folder)

    # The code changes faq's levers; no file changes. (POLICIES is the one table every lookup goes through.)
    changed = dataclasses.replace(policies.POLICIES["faq"], levers={"faq_quality": 0.9})
    monkeypatch.setitem(policies.POLICIES, "faq", changed)
    assert policies.apply_policies(["faq"])["faq_quality"] == 0.9
    refused(run(command, capsys), "--fresh", "faq_quality", "0.6 then, 0.9 now")
    assert listing(folder) == saved  # compare.csv untouched, no run added

    # Some runs removed first: still refused, never old runs mixed with new ones.
    parts = sorted((folder / "parts").glob("part-*.parquet"))
    for part in parts[:2]:
        part.unlink()
    thinned = listing(folder)
    refused(run(command, capsys), "--fresh")
    assert listing(folder) == thinned

    # --fresh runs them all again with today's model.
    assert run([*command, "--fresh"], capsys)[0] == 0
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["resolved"]["faq"]["faq_quality"] == 0.9
    assert (folder / "compare.csv").read_bytes() != saved["compare.csv"]
    assert len(list((folder / "parts").glob("part-*.parquet"))) >= 1


def test_compare_fresh_with_a_bad_worlds_file_discards_nothing(tmp_path, capsys):
    base, faq = scenarios(tmp_path)
    command = ["compare", base, faq, "--reps", "2", "--sequential", "--quiet", "--out", tmp_path / "out"]
    assert run(command, capsys)[0] == 0
    saved = listing(tmp_path / "out")
    refused(run([*command, "--fresh", "--worlds", "2", "--worlds-file", tmp_path / "nope.parquet"], capsys),
            "nope.parquet")
    assert listing(tmp_path / "out") == saved


def test_the_code_fingerprint_moves_with_the_code_and_not_with_its_docstrings_or_comments(tmp_path):
    from crmsim.experiments.provenance import code_fingerprint

    shutil.copytree(ROOT / "model", tmp_path / "model", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "experiments").mkdir()
    for name in ("execute.py", "seeds.py"):
        shutil.copy(ROOT / "experiments" / name, tmp_path / "experiments" / name)
    before = code_fingerprint(tmp_path)
    assert before == code_fingerprint(ROOT)
    policies = tmp_path / "model" / "policies.py"
    text = policies.read_text(encoding="utf-8")

    policies.write_text(text.replace('"""A named set of lever values, with the paper section it comes from."""',
                                     '"""A named set of levers (reworded)."""')
                        .replace("# the table must only name real levers and policies", "# reworded comment"),
                        encoding="utf-8")
    assert policies.read_text(encoding="utf-8") != text
    assert code_fingerprint(tmp_path) == before

    policies.write_text(text.replace('{"faq_quality": 0.6}', '{"faq_quality": 0.61}'), encoding="utf-8")
    assert code_fingerprint(tmp_path) != before
    policies.write_text(text, encoding="utf-8")
    assert code_fingerprint(tmp_path) == before


# --- patterns: its output folder, SIGTERM, and the order of its rows ------------------------------------------

def _patterns(folder: Path) -> Path:
    from tests.test_patterns import _file

    return _file(folder)


def test_patterns_refuses_an_out_that_is_a_file_before_any_run(tmp_path, capsys, monkeypatch):
    import crmsim.calibration.patterns as patterns

    spec = _patterns(tmp_path)
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    ran = []
    monkeypatch.setattr(patterns, "run_chunk", lambda chunk: ran.append(chunk) or [])
    before = listing(tmp_path)
    for out in (blocker, blocker / "below"):
        refused(run(["patterns", spec, "--sequential", "--out", out], capsys), str(blocker), "--out")
    assert ran == [] and listing(tmp_path) == before


def test_patterns_worlds_file_without_worlds_is_refused(tmp_path, capsys):
    spec = _patterns(tmp_path)
    refused(run(["patterns", spec, "--sequential", "--out", tmp_path / "out", "--worlds-file", "w.parquet"], capsys),
            "--worlds-file", "--worlds N")
    assert not (tmp_path / "out").exists()


def test_patterns_stopped_by_sigterm_says_so_and_writes_nothing(tmp_path, capsys, monkeypatch):
    import crmsim.calibration.patterns as patterns

    real = patterns.run_chunk

    def then_sigterm(chunk):
        rows = real(chunk)
        os.kill(os.getpid(), signal.SIGTERM)
        return rows

    monkeypatch.setattr(patterns, "run_chunk", then_sigterm)
    spec = _patterns(tmp_path)
    code, _, err = run(["patterns", spec, "--sequential", "--reps", "4", "--chunk-size", "1", "--out",
                        tmp_path / "out"], capsys)
    assert code == 143 and "stopped by SIGTERM" in err and "nothing was written" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_patterns_rows_are_sorted_so_the_same_command_writes_the_same_bytes(tmp_path, capsys, monkeypatch):
    from crmsim.experiments.evaluators.sequential import SequentialEvaluator

    spec = _patterns(tmp_path)
    command = ["patterns", spec, "--sequential", "--reps", "3", "--chunk-size", "1"]
    assert run([*command, "--out", tmp_path / "a"], capsys)[0] == 0
    real = SequentialEvaluator.map_chunks

    def backwards(self, fn, chunks):  # the chunks finish in another order, as on processes or Dask
        chunks = list(chunks)
        done = list(real(self, fn, chunks))
        return reversed(done)

    monkeypatch.setattr(SequentialEvaluator, "map_chunks", backwards)
    assert run([*command, "--out", tmp_path / "b"], capsys)[0] == 0
    first, second = (tmp_path / "a" / "tiny" / "runs.parquet"), (tmp_path / "b" / "tiny" / "runs.parquet")
    assert first.read_bytes() == second.read_bytes()
    rows = pd.read_parquet(first)  # one pattern: sorted by world, then seed
    pd.testing.assert_frame_equal(rows, rows.sort_values(["world", "seed"]).reset_index(drop=True))


# --- worlds --resume: the saved candidates are held to the draw ---------------------------------------------------

@pytest.fixture(scope="module")
def worlds_run(tmp_path_factory) -> Path:
    """A finished worlds run: its files (worlds.toml, targets, posterior), work folder and worlds file."""
    folder = tmp_path_factory.mktemp("worlds")
    spec = worlds_spec(folder)
    assert main(["worlds", str(spec), "--work", str(folder / "work"), "--out", str(folder / "whole.parquet"),
                 "--sequential", "--quiet"]) == 0
    return folder


def _worlds_copy(worlds_run: Path, tmp_path: Path) -> tuple[list, Path, Path]:
    """A copy of the finished run: the command that resumes it, its candidates file and its work folder."""
    folder = tmp_path / "w"
    shutil.copytree(worlds_run, folder)
    work = folder / "work" / "tiny_worlds"
    command = ["worlds", folder / "worlds.toml", "--work", folder / "work", "--out", folder / "resumed.parquet",
               "--sequential", "--quiet", "--resume"]
    return command, work / "candidates.parquet", work


@pytest.mark.parametrize("damage", ["truncated", "emptied", "not parquet"])
def test_worlds_resume_sets_an_unreadable_candidates_file_aside_and_checks_them_again(
        worlds_run, tmp_path, capsys, damage):
    from crmsim.calibration.worlds import read_worlds

    command, saved, work = _worlds_copy(worlds_run, tmp_path)
    data = saved.read_bytes()
    saved.write_bytes({"truncated": data[:len(data) // 2], "emptied": b"", "not parquet": b"candidate,kept\n"}[damage])
    code, out, err = run(command, capsys)
    assert code == 0 and len(err.splitlines()) == 1 and "warning" in err and "damaged" in err, err
    assert (work / "damaged" / "candidates.parquet").is_file() and "checked again" in err
    resumed, whole = read_worlds(tmp_path / "w" / "resumed.parquet")[0], read_worlds(worlds_run / "whole.parquet")[0]
    pd.testing.assert_frame_equal(resumed, whole)
    assert len(resumed) >= 1


@pytest.mark.parametrize("tamper, words", [
    (lambda f: f.drop(columns="distance"), "column distance: missing"),
    (lambda f: pd.concat([f, f]), "saved twice"),
    (edit_row("trust_gain", 99.0), "trust_gain = 99.0"),  # outside its believed range
    (edit_row("trust_gain", 0.1), "trust_gain = 0.1, but the draw"),  # inside it, but not what was drawn
    (edit_row("candidate", 77), "candidate 77: not drawn"),
    (edit_row("kept", False), "disagree"),
], ids=["dropped column", "duplicated rows", "outside its range", "not drawn", "not a candidate", "kept edited"])
def test_worlds_resume_refuses_candidates_that_disagree_with_the_draw(worlds_run, tmp_path, capsys, tamper, words):
    command, saved, work = _worlds_copy(worlds_run, tmp_path)
    tamper(pd.read_parquet(saved)).to_parquet(saved, index=False)
    before = listing(tmp_path)
    refused(run(command, capsys), str(saved), words, "remove")
    assert listing(tmp_path) == before  # nothing written: no worlds file, the folder as it was


def test_worlds_that_could_not_start_its_engine_leave_no_folder_to_block_the_next_run(tmp_path, capsys, monkeypatch):
    from crmsim.experiments.evaluators.base import EvaluatorError
    from crmsim.experiments.evaluators.sequential import SequentialEvaluator

    spec = worlds_spec(tmp_path)
    command = ["worlds", spec, "--work", tmp_path / "work", "--out", tmp_path / "w.parquet", "--sequential", "--quiet"]

    def unreachable(self):
        raise EvaluatorError("cannot reach the Dask scheduler at tcp://10.0.0.5:8786")

    with monkeypatch.context() as patched:
        patched.setattr(SequentialEvaluator, "start", unreachable)
        code, _, err = run(command, capsys)
    assert code == 3 and "no candidate was checked" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "work").exists() and not (tmp_path / "w.parquet").exists()
    assert run(command, capsys)[0] == 0  # the corrected command is not blocked


def test_worlds_checks_its_out_and_work_before_any_candidate(tmp_path, capsys):
    spec = worlds_spec(tmp_path)
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    before = listing(tmp_path)
    base = ["worlds", spec, "--sequential", "--quiet"]
    refused(run([*base, "--work", tmp_path / "work", "--out", blocker / "w.parquet"], capsys), "--out", str(blocker))
    refused(run([*base, "--work", blocker, "--out", tmp_path / "w.parquet"], capsys), "--work", str(blocker))
    refused(run([*base, "--work", tmp_path / "work", "--out", tmp_path / "work" / "tiny_worlds" / "x.parquet"],
                capsys), "inside the work folder")
    assert listing(tmp_path) == before and not (tmp_path / "work").exists()


# --- frontier --resume: the evaluations are checked against what wrote them ------------------------------------

@pytest.fixture(scope="module")
def frontier_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("frontier")
    spec = toy_frontier(folder / "toy.toml")
    assert main(["frontier", str(spec), "--out", str(folder / "out"), "--sequential", "--quiet"]) == 0
    return folder


def _frontier_copy(frontier_run: Path, tmp_path: Path) -> tuple[list, Path]:
    shutil.copytree(frontier_run, tmp_path / "f")
    command = ["frontier", tmp_path / "f" / "toy.toml", "--out", tmp_path / "f" / "out", "--sequential", "--quiet",
               "--resume"]
    return command, tmp_path / "f" / "out" / "toy"


# The issue's: a cost of EUR -1,000 served as a point of the front, a NaN, a lever out of range, a column dropped,
# rows duplicated (tests/corpus_saved.py has more).
TAMPERING = [c for c in FRONTIER_TAMPERING if c[0] in ("cost-negative", "cost-nan", "lever-outside",
                                                       "objective-dropped", "rows-duplicated")]


@pytest.mark.parametrize("name, tamper, words", TAMPERING, ids=[c[0] for c in TAMPERING])
def test_frontier_resume_refuses_edited_evaluations_by_their_hash(frontier_run, tmp_path, capsys, name, tamper,
                                                                   words):
    command, root = _frontier_copy(frontier_run, tmp_path)
    tamper(pd.read_parquet(root / "evaluations.parquet")).to_parquet(root / "evaluations.parquet", index=False)
    before = listing(tmp_path)
    refused(run(command, capsys), "evaluations.parquet", "changed since the search saved it",
            "remove the folder, or start without --resume")
    assert listing(tmp_path) == before


@pytest.mark.parametrize("name, tamper, words", TAMPERING, ids=[c[0] for c in TAMPERING])
def test_frontier_resume_refuses_evaluations_the_search_could_not_have_written(frontier_run, tmp_path, capsys, name,
                                                                                tamper, words):
    command, root = _frontier_copy(frontier_run, tmp_path)
    tamper(pd.read_parquet(root / "evaluations.parquet")).to_parquet(root / "evaluations.parquet", index=False)
    rehash(root.parents[1])  # the hash matches: the contents are checked all the same
    before = listing(tmp_path)
    refused(run(command, capsys), "evaluations.parquet", words)
    assert listing(tmp_path) == before


@pytest.mark.parametrize("damage", ["truncated", "emptied", "removed"])
def test_frontier_resume_refuses_a_damaged_or_missing_evaluations_file(frontier_run, tmp_path, capsys, damage):
    command, root = _frontier_copy(frontier_run, tmp_path)
    log = root / "evaluations.parquet"
    if damage == "removed":
        log.unlink()
    else:
        log.write_bytes(log.read_bytes()[:200] if damage == "truncated" else b"")
    before = listing(tmp_path)
    refused(run(command, capsys), "evaluations.parquet", "remove the folder")
    assert listing(tmp_path) == before


def test_frontier_resumes_a_search_killed_between_its_state_and_its_log(frontier_run, tmp_path, capsys):
    """The state names the next log before it is written, and keeps the last one's hash: killed between the two
    writes, the log on disk is the last one, which the state still vouches for."""
    command, root = _frontier_copy(frontier_run, tmp_path)
    state = json.loads((root / "frontier.json").read_text())
    state["previous_sha256"], state["evaluations_sha256"] = state["evaluations_sha256"], "f" * 64
    (root / "frontier.json").write_text(json.dumps(state))
    front = pd.read_csv(root / "front.csv")
    assert run(command, capsys)[0] == 0
    pd.testing.assert_frame_equal(pd.read_csv(root / "front.csv"), front)
    # ... and the state then vouches for the log really on disk.
    assert run(command, capsys)[0] == 0


def test_a_frontier_of_too_many_runs_is_refused_when_read(tmp_path, capsys):
    """200,000 evaluations x 1,000 replications ran for days before; now refused at once, naming the bound."""
    spec = toy_frontier(tmp_path / "big.toml", replications=1000)
    text = spec.read_text().replace('"evaluations" = 16', '"evaluations" = 200000')
    spec.write_text(text)
    for command in (["frontier", spec, "--out", tmp_path / "r", "--sequential"], ["validate", spec]):
        refused(run(command, capsys), "search.evaluations", "200,000,000 runs", "at most 1,000,000")
    assert not (tmp_path / "r").exists()


def test_a_frontier_that_could_not_start_its_engine_leaves_no_folder(tmp_path, capsys, monkeypatch):
    from crmsim.experiments.evaluators.base import EvaluatorError
    from crmsim.experiments.evaluators.sequential import SequentialEvaluator

    spec = toy_frontier(tmp_path / "toy.toml")
    command = ["frontier", spec, "--out", tmp_path / "r" / "deeper", "--sequential", "--quiet"]

    def unreachable(self):
        raise EvaluatorError("cannot reach the Dask scheduler at tcp://10.0.0.5:8786")

    with monkeypatch.context() as patched:
        patched.setattr(SequentialEvaluator, "start", unreachable)
        code, _, err = run(command, capsys)
    assert code == 3 and "nothing was evaluated" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "r").exists()
    assert run(command, capsys)[0] == 0  # the corrected command is not blocked


# --- calibrate: leave-one-out reuses only refits of these inputs; --fresh ---------------------------------------

@pytest.fixture(scope="module")
def loo_run(tmp_path_factory) -> Path:
    """A finished leave-one-out of two targets: 120 citizens, 10 particles, one generation per refit."""
    folder = tmp_path_factory.mktemp("loo")
    spec = two_targets(folder)
    assert main(["calibrate", str(spec), "--leave-one-out", "--workers", "1", "--particles", "10", "--quiet",
                 "--out", str(folder / "out")]) == 0
    return folder


def _loo_copy(loo_run: Path, tmp_path: Path) -> tuple[list, Path]:
    shutil.copytree(loo_run, tmp_path / "c")
    spec = tmp_path / "c" / "two.toml"
    spec.write_text(spec.read_text().replace(str(loo_run), str(tmp_path / "c")))
    return ["calibrate", spec, "--leave-one-out", "--workers", "1", "--particles", "10", "--quiet", "--out",
            tmp_path / "c" / "out"], tmp_path / "c"


def test_leave_one_out_reuses_the_refits_of_the_same_inputs(loo_run, tmp_path, capsys):
    command, folder = _loo_copy(loo_run, tmp_path)
    table = folder / "out" / "tiny_leave_one_out" / "leave_one_out.csv"
    saved = table.read_bytes()
    command.remove("--quiet")
    code, out, _ = run(command, capsys)
    assert code == 0 and "refit without" not in out and table.read_bytes() == saved


LOO_CHANGES = {
    "priors": (lambda spec, folder: spec.write_text(spec.read_text().replace("low = -4.0", "low = -3.0")),
               "parameter[1].low (-4.0 then, -3.0 now)"),
    "scenario": (lambda spec, folder: (folder / "small.toml").write_text(
        (folder / "small.toml").read_text().replace("warmup = 10", "warmup = 11")), "scenario"),
    "seed": (lambda spec, folder: spec.write_text(spec.read_text().replace("seed = 3", "seed = 4")), "seed"),
    "particles": ("12", "abc.population_size (10 then, 12 now)"),
    "model": (lambda spec, folder: [_set_json(p, "model", {"crmsim": "0.0", "code": "0000"})
                                    for p in folder.glob("out/*/inputs.json")], "another model"),
    "inputs removed": (lambda spec, folder: [p.unlink() for p in folder.glob("out/*/inputs.json")],
                       "missing or damaged"),
    "posterior of the other refit": (lambda spec, folder: shutil.copy(
        folder / "out" / "tiny_without_online_users" / "posterior.parquet",
        folder / "out" / "tiny_without_non_take_up" / "posterior.parquet"), "another calibration"),
    "posterior damaged": (lambda spec, folder: (folder / "out" / "tiny_without_non_take_up" / "posterior.parquet")
                          .write_bytes(b"PAR1"), "posterior.parquet"),
    "generations removed": (lambda spec, folder: (folder / "out" / "tiny_without_non_take_up" / "generations.csv")
                            .unlink(), "generations.csv"),
}


def _loo_changed(loo_run: Path, tmp_path: Path, change: str) -> tuple[list, Path]:
    command, folder = _loo_copy(loo_run, tmp_path)
    edit, _ = LOO_CHANGES[change]
    if isinstance(edit, str):
        command[command.index("--particles") + 1] = edit
    else:
        edit(folder / "two.toml", folder)
    return command, folder


@pytest.mark.parametrize("change", LOO_CHANGES)
def test_leave_one_out_refuses_refits_of_other_inputs_before_any_run(loo_run, tmp_path, capsys, change):
    command, folder = _loo_changed(loo_run, tmp_path, change)
    before = listing(folder)
    refused(run(command, capsys), "tiny_without_", LOO_CHANGES[change][1], "--fresh")
    assert listing(folder) == before  # nothing run, nothing written


@pytest.mark.parametrize("change", ["priors", "particles"])
def test_leave_one_out_fresh_makes_every_refit_again(loo_run, tmp_path, capsys, change):
    command, folder = _loo_changed(loo_run, tmp_path, change)
    assert run([*command, "--fresh"], capsys)[0] == 0
    for refit in folder.glob("out/tiny_without_*"):
        assert _refit_change(command, refit) is None
    code, out, _ = run([c for c in command if c != "--quiet"], capsys)
    assert code == 0 and "refit without" not in out  # the new refits are reused


def _refit_change(command: list, refit: Path) -> str | None:
    """What the refit in ``refit`` was not run with, compared with ``command``'s targets file and particles."""
    from crmsim.calibration.crossvalidate import without
    from crmsim.calibration.fit import inputs_change
    from crmsim.calibration.targets import load_targets

    spec = load_targets(command[1])
    spec = dataclasses.replace(spec, abc=spec.abc.model_copy(
        update={"population_size": int(command[command.index("--particles") + 1])}))
    return inputs_change(without(spec, refit.name.split("_without_")[1]), refit)


def _set_json(path: Path, key: str, value) -> None:
    data = json.loads(path.read_text())
    data[key] = value
    path.write_text(json.dumps(data))


def test_leave_one_out_of_one_target_is_refused_before_anything_is_made(tmp_path, capsys):
    from tests.test_calibration import _tiny

    spec = _tiny(tmp_path, 1)
    before = listing(tmp_path)
    for extra in ([], ["--fresh"]):
        refused(run(["calibrate", spec, "--leave-one-out", *extra, "--workers", "1", "--out", tmp_path / "out"],
                    capsys), "target", "at least two")
    assert listing(tmp_path) == before and not (tmp_path / "out").exists()


def test_calibrate_fresh_starts_again_and_is_refused_with_resume_or_while_another_writes(tmp_path, capsys):
    from filelock import FileLock

    from tests.test_calibration import _tiny

    spec = _tiny(tmp_path, 1)
    command = ["calibrate", spec, "--workers", "1", "--quiet", "--out", tmp_path / "out"]
    assert run(command, capsys)[0] == 0
    folder = tmp_path / "out" / "tiny"
    refused(run(command, capsys), "--resume", "--fresh")
    before = listing(folder)
    refused(run([*command, "--fresh", "--resume"], capsys), "--fresh", "--resume")
    with FileLock(folder / ".lock", timeout=0):
        refused(run([*command, "--fresh"], capsys), "another calibration is writing here")
    (folder / ".lock").unlink(missing_ok=True)
    assert listing(folder) == before
    _set_json(folder / "inputs.json", "model", {"crmsim": "0.0", "code": "0000"})
    refused(run([*command, "--resume"], capsys), "another model", "--fresh")
    assert run([*command, "--fresh"], capsys)[0] == 0
    assert json.loads((folder / "inputs.json").read_text())["model"]["code"] != "0000"


def test_calibrate_resume_of_a_damaged_history_is_one_line(tmp_path, capsys):
    from tests.test_calibration import _tiny

    spec = _tiny(tmp_path, 1)
    command = ["calibrate", spec, "--workers", "1", "--quiet", "--out", tmp_path / "out"]
    assert run(command, capsys)[0] == 0
    for damage in (b"", b"not a database at all", b"SQLite format 3\x00" + b"\x00" * 80):
        (tmp_path / "out" / "tiny" / "history.db").write_bytes(damage)
        before = listing(tmp_path)
        refused(run([*command, "--resume"], capsys), "history.db", "--fresh")
        assert listing(tmp_path) == before


# --- a worlds file is checked before any world is used -----------------------------------------------------------

@pytest.mark.parametrize("fault", [f for f in WORLDS_FAULTS if f != "a value no scenario takes"])
def test_a_worlds_file_is_checked_before_any_world_is_used(tmp_path, fault):
    """Each fault read_worlds refuses; the corpus runs them all through compare --worlds and patterns --worlds."""
    from crmsim.calibration.worlds import WorldsError, read_worlds

    edits, words = WORLDS_FAULTS[fault]
    path = worlds_file(tmp_path / "w.parquet", **edits)
    with pytest.raises(WorldsError) as err:
        read_worlds(path)
    assert words in str(err.value) and "\n" not in str(err.value) and str(path) in str(err.value), str(err.value)


def test_a_worlds_file_of_another_posterior_is_refused(tmp_path, capsys):
    from crmsim.calibration.worlds import WorldsError, read_worlds

    posterior = tmp_path / "posterior.parquet"
    posterior.write_bytes(b"the posterior the worlds were drawn from")
    import hashlib

    drawn = hashlib.sha256(posterior.read_bytes()).hexdigest()[:16]
    path = worlds_file(tmp_path / "w.parquet",
                       provenance=lambda p: {**p, "posterior": str(posterior), "posterior_sha256": drawn})
    assert len(read_worlds(path)[0]) == 3
    posterior.write_bytes(b"a calibration run since")
    with pytest.raises(WorldsError, match="another posterior"):
        read_worlds(path)


def test_a_world_value_a_scenario_cannot_take_stops_compare_before_any_run(tmp_path, capsys):
    """Inside the range its provenance records, outside what the parameter allows: found before the base runs."""
    path = worlds_file(tmp_path / "w.parquet", **WORLDS_FAULTS["a value no scenario takes"][0])
    base, faq = scenarios(tmp_path)
    refused(run(["compare", base, faq, "--reps", "2", "--sequential", "--out", tmp_path / "out", "--worlds", "2",
                 "--worlds-file", path], capsys), "world 1", "trust_disposition")
    refused(run(["patterns", _patterns(tmp_path), "--sequential", "--out", tmp_path / "out", "--worlds", "2",
                 "--worlds-file", path], capsys), "world 1", "trust_disposition")
    assert not (tmp_path / "out").exists()


def test_compare_worlds_file_without_worlds_is_refused(tmp_path, capsys):
    base, faq = scenarios(tmp_path)
    refused(run(["compare", base, faq, "--out", tmp_path / "out", "--worlds-file", tmp_path / "w.parquet"], capsys),
            "--worlds-file", "--worlds N")
    assert not (tmp_path / "out").exists()
