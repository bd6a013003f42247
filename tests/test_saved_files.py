"""Every saved file is checked before it is trusted (issue 33, point 3).

One test per finding: a comparison saved by another model's code, leave-one-out refits of other inputs, damaged
or edited worlds candidates, tampered frontier evaluations, malformed worlds files, and the patterns command's
output folder, SIGTERM and row order. Each runs a tiny world (150 to 300 citizens, a short warm-up, a few weeks)
in this process, through ``crmsim.cli.main``; the bad-input corpus for the same commands is
``tests/corpus_saved.py``.
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

from crmsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
SMALL = 'steps = 3\nwarmup = 10\nseed = 3\n[population]\nn_citizens = 150\nn_prescribers = 4\n'


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

def _scenarios(folder: Path) -> tuple[Path, Path]:
    base, faq = folder / "base.toml", folder / "faq.toml"
    base.write_text(f'name = "base"\n{SMALL}', encoding="utf-8")
    faq.write_text(f'name = "faq"\npolicy = "faq"\n{SMALL}', encoding="utf-8")
    return base, faq


def test_a_comparison_saved_before_a_policys_levers_changed_in_the_code_is_refused_never_mixed(
        tmp_path, capsys, monkeypatch):
    from crmsim.model import policies

    base, faq = _scenarios(tmp_path)
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
    base, faq = _scenarios(tmp_path)
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

def _worlds_spec(folder: Path, candidates: int = 4) -> Path:
    """tests/test_worlds.py's tiny worlds file, with figures its tiny world meets, so that worlds are kept."""
    from tests.test_worlds import _tiny

    spec = _tiny(folder, candidates)
    targets = folder / "targets.toml"
    targets.write_text(targets.read_text().replace("value = 0.45", "value = 0.3").replace("value = 0.69", "value = 0.2"))
    return spec


@pytest.fixture(scope="module")
def worlds_run(tmp_path_factory) -> Path:
    """A finished worlds run: its files (worlds.toml, targets, posterior), work folder and worlds file."""
    folder = tmp_path_factory.mktemp("worlds")
    spec = _worlds_spec(folder)
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


def _drop(column: str):
    return lambda frame: frame.drop(columns=column)


def _edit(column: str, value, row: int = 0):
    def edit(frame):
        frame = frame.copy()
        frame.loc[row, column] = value
        return frame
    return edit


@pytest.mark.parametrize("tamper, words", [
    (_drop("distance"), "column distance: missing"),
    (_drop("trust_gain"), "column trust_gain: missing"),
    (_drop("candidate"), "column candidate: missing"),
    (lambda f: f.assign(colour="red"), "column colour"),
    (lambda f: pd.concat([f, f]), "saved twice"),
    (lambda f: pd.concat([f, f.head(1)]), "saved twice"),
    (_edit("trust_gain", 99.0), "trust_gain = 99.0"),  # outside its believed range
    (_edit("trust_gain", 0.1), "trust_gain = 0.1, but the draw"),  # inside it, but not what was drawn
    (_edit("trust_disposition", 0.3), "trust_disposition"),
    (_edit("candidate", 77), "candidate 77: not drawn"),
    (_edit("candidate", -1), "candidate -1: not drawn"),
    (_edit("kept", False), "disagree"),
    (_edit("q_trusting", 0.9), "disagree"),
    (_edit("q_online", float("inf")), "not a number"),
    (_edit("distance", 0.0), "disagree"),
])
def test_worlds_resume_refuses_candidates_that_disagree_with_the_draw(worlds_run, tmp_path, capsys, tamper, words):
    command, saved, work = _worlds_copy(worlds_run, tmp_path)
    tamper(pd.read_parquet(saved)).to_parquet(saved, index=False)
    before = listing(tmp_path)
    refused(run(command, capsys), str(saved), words, "remove")
    assert listing(tmp_path) == before  # nothing written: no worlds file, the folder as it was


@pytest.mark.parametrize("state, words", [
    ("[]", "not the state"),
    ('"x"', "not the state"),
    ("{", "damaged"),
    (lambda s: {**s, "seconds": "x"}, "not the state"),
    (lambda s: {**s, "seconds": -5}, "not the state"),
    (lambda s: {**s, "identity": "another"}, "another worlds file"),
    (lambda s: {**s, "model": {"crmsim": "0.0", "code": "0000"}}, "another model"),
    (lambda s: {k: v for k, v in s.items() if k != "model"}, "another model"),
])
def test_worlds_resume_refuses_a_damaged_or_foreign_state_file(worlds_run, tmp_path, capsys, state, words):
    command, saved, work = _worlds_copy(worlds_run, tmp_path)
    path = work / "worlds.json"
    text = state if isinstance(state, str) else json.dumps(state(json.loads(path.read_text())))
    path.write_text(text)
    before = listing(tmp_path)
    refused(run(command, capsys), words)
    assert listing(tmp_path) == before


def test_worlds_that_could_not_start_its_engine_leave_no_folder_to_block_the_next_run(tmp_path, capsys, monkeypatch):
    from crmsim.experiments.evaluators.base import EvaluatorError
    from crmsim.experiments.evaluators.sequential import SequentialEvaluator

    spec = _worlds_spec(tmp_path)
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
    spec = _worlds_spec(tmp_path)
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

def _toy_frontier(path: Path, **change) -> Path:
    """tests/test_frontier.py's toy search, smaller still: 150 citizens, 3 weeks, 16 settings."""
    from tests.test_frontier import toy, write

    data = toy(evaluations=16, population=8, snapshot_every=8)
    data.update(steps=3, set={**data["set"], "population.n_citizens": 150, "warmup": 4}, **change)
    return write(path, data)


@pytest.fixture(scope="module")
def frontier_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("frontier")
    spec = _toy_frontier(folder / "toy.toml")
    assert main(["frontier", str(spec), "--out", str(folder / "r"), "--sequential", "--quiet"]) == 0
    return folder


def _frontier_copy(frontier_run: Path, tmp_path: Path) -> tuple[list, Path]:
    shutil.copytree(frontier_run, tmp_path / "f")
    command = ["frontier", tmp_path / "f" / "toy.toml", "--out", tmp_path / "f" / "r", "--sequential", "--quiet",
               "--resume"]
    return command, tmp_path / "f" / "r" / "toy"


def _rehash(root: Path) -> None:
    """What an editor who also fixed the state file's hash would do."""
    import hashlib

    state = json.loads((root / "frontier.json").read_text())
    state["evaluations_sha256"] = hashlib.sha256((root / "evaluations.parquet").read_bytes()).hexdigest()
    (root / "frontier.json").write_text(json.dumps(state))


def _cheapest(value):
    def edit(frame):
        frame = frame.copy()
        frame.loc[frame["public_cost_per_citizen"].idxmin(), "public_cost_per_citizen"] = value
        return frame
    return edit


FRONTIER_TAMPERING = [
    ("cost -1000", _cheapest(-1000.0), "public_cost_per_citizen = -1000.0"),
    ("cost nan", _cheapest(float("nan")), "public_cost_per_citizen = nan"),
    ("cost inf", _cheapest(float("inf")), "public_cost_per_citizen = inf"),
    ("share above 1", _edit("non_take_up_bottom", 1.5), "non_take_up_bottom = 1.5"),
    ("negative error", _edit("non_take_up_bottom_se", -0.1), "non_take_up_bottom_se = -0.1"),
    ("lever outside its range", _edit("counter_staff", 55.0), "counter_staff = 55.0"),
    ("dropped column", _drop("non_take_up_bottom"), "column non_take_up_bottom: missing"),
    ("extra column", lambda f: f.assign(colour=1.0), "columns"),
    ("rows duplicated", lambda f: pd.concat([f, f]), "evaluation: got"),
    ("a setting twice", lambda f: pd.concat([f, f.head(1)]).assign(evaluation=range(len(f) + 1)), "twice"),
    ("row dropped", lambda f: f.iloc[1:], "evaluation: got"),
]


@pytest.mark.parametrize("name, tamper, words", FRONTIER_TAMPERING, ids=[c[0] for c in FRONTIER_TAMPERING])
def test_frontier_resume_refuses_edited_evaluations_by_their_hash(frontier_run, tmp_path, capsys, name, tamper,
                                                                   words):
    command, root = _frontier_copy(frontier_run, tmp_path)
    tamper(pd.read_parquet(root / "evaluations.parquet")).to_parquet(root / "evaluations.parquet", index=False)
    before = listing(tmp_path)
    refused(run(command, capsys), "evaluations.parquet", "changed since the search saved it",
            "remove the folder, or start without --resume")
    assert listing(tmp_path) == before


@pytest.mark.parametrize("name, tamper, words", FRONTIER_TAMPERING, ids=[c[0] for c in FRONTIER_TAMPERING])
def test_frontier_resume_refuses_evaluations_the_search_could_not_have_written(frontier_run, tmp_path, capsys, name,
                                                                                tamper, words):
    command, root = _frontier_copy(frontier_run, tmp_path)
    tamper(pd.read_parquet(root / "evaluations.parquet")).to_parquet(root / "evaluations.parquet", index=False)
    _rehash(root)  # the hash matches: the contents are checked all the same
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


@pytest.mark.parametrize("state, words", [
    ("[]", "not the state"),
    ("{", "damaged"),
    (lambda s: {**s, "seconds": None}, "not the state"),
    (lambda s: {**s, "finished": "x"}, "not the state"),
    (lambda s: {**s, "identity": "another"}, "another file"),
    (lambda s: {**s, "model": {"crmsim": "0.0", "code": "0000"}}, "another model"),
])
def test_frontier_resume_refuses_a_damaged_or_foreign_state_file(frontier_run, tmp_path, capsys, state, words):
    command, root = _frontier_copy(frontier_run, tmp_path)
    path = root / "frontier.json"
    path.write_text(state if isinstance(state, str) else json.dumps(state(json.loads(path.read_text()))))
    before = listing(tmp_path)
    refused(run(command, capsys), words)
    assert listing(tmp_path) == before


def test_a_frontier_of_too_many_runs_is_refused_when_read(tmp_path, capsys):
    """200,000 evaluations x 1,000 replications ran for days before; now refused at once, naming the bound."""
    spec = _toy_frontier(tmp_path / "big.toml", replications=1000)
    text = spec.read_text().replace('"evaluations" = 16', '"evaluations" = 200000')
    spec.write_text(text)
    for command in (["frontier", spec, "--out", tmp_path / "r", "--sequential"], ["validate", spec]):
        refused(run(command, capsys), "search.evaluations", "200,000,000 runs", "at most 1,000,000")
    assert not (tmp_path / "r").exists()


def test_a_frontier_that_could_not_start_its_engine_leaves_no_folder(tmp_path, capsys, monkeypatch):
    from crmsim.experiments.evaluators.base import EvaluatorError
    from crmsim.experiments.evaluators.sequential import SequentialEvaluator

    spec = _toy_frontier(tmp_path / "toy.toml")
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

def _two_targets(folder: Path) -> Path:
    """tests/test_calibration.py's tiny targets file with a second parameter and target, for leave-one-out."""
    from tests.test_calibration import _tiny

    text = _tiny(folder, 1).read_text().replace(
        "[[target]]", '[[parameter]]\nname = "online_intercept"\nlow = -4.0\nhigh = 2.0\n[[target]]', 1)
    text += ('[[target]]\nname = "online_users"\nquantity = "online_users"\nvalue = 0.5\ntolerance = 0.05\n'
             'source = "a test"\ncomparable = "itself"\n')
    path = folder / "two.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def loo_run(tmp_path_factory) -> Path:
    """A finished leave-one-out of two targets: 120 citizens, 10 particles, one generation per refit."""
    folder = tmp_path_factory.mktemp("loo")
    spec = _two_targets(folder)
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


@pytest.mark.parametrize("damage", [b"", b"not a database at all", b"SQLite format 3\x00" + b"\x00" * 80])
def test_calibrate_resume_of_a_damaged_history_is_one_line(tmp_path, capsys, damage):
    from tests.test_calibration import _tiny

    spec = _tiny(tmp_path, 1)
    command = ["calibrate", spec, "--workers", "1", "--quiet", "--out", tmp_path / "out"]
    assert run(command, capsys)[0] == 0
    (tmp_path / "out" / "tiny" / "history.db").write_bytes(damage)
    before = listing(tmp_path)
    refused(run([*command, "--resume"], capsys), "history.db", "--fresh")
    assert listing(tmp_path) == before


# --- a worlds file is checked before any world is used -----------------------------------------------------------

def _worlds(path: Path, frame=lambda f: f, provenance=lambda p: p, raw: bytes | None = None) -> Path:
    """A worlds file read_worlds accepts (tests/test_compare_worlds.py), then its table and provenance edited."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from crmsim.calibration.worlds import METADATA_KEY
    from tests.test_compare_worlds import _worlds_file

    _worlds_file(path, {"trust_gain": [0.08, 0.1, 0.12]})
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[METADATA_KEY])
    edited = pa.Table.from_pandas(frame(table.to_pandas()), preserve_index=False)
    text = raw if raw is not None else json.dumps(provenance(meta)).encode()
    pq.write_table(edited.replace_schema_metadata({METADATA_KEY: text}), path)
    return path


def _with(**changes):
    return lambda p: {**p, **changes}


WORLDS_FAULTS = {
    "duplicate world": (dict(frame=lambda f: f.assign(world=[0, 1, 1])), "world: got [0, 1, 1]"),
    "world -1": (dict(frame=lambda f: f.assign(world=[-1, 0, 1])), "world: got [-1, 0, 1]"),
    "a gap": (dict(frame=lambda f: f.assign(world=[0, 1, 5])), "each once"),
    "outside the believed range": (dict(frame=lambda f: f.assign(trust_gain=[0.08, 0.1, 0.5])),
                                   "trust_gain = 0.5"),
    "outside the prior": (dict(frame=lambda f: f.assign(trust_disposition=0.95)), "trust_disposition = 0.95"),
    "not a number": (dict(frame=lambda f: f.assign(trust_gain=["a", "b", "c"])), "trust_gain = 'a'"),
    "nan": (dict(frame=lambda f: f.assign(trust_gain=[0.1, float("nan"), 0.1])), "trust_gain = nan"),
    "missing column": (dict(frame=lambda f: f.drop(columns="trust_gain")), "column trust_gain: missing"),
    "no world column": (dict(frame=lambda f: f.drop(columns="world")), "column world: missing"),
    "no fitted parameter": (dict(provenance=_with(fitted=[], priors={})), "fitted: missing or empty"),
    "a lever fitted": (dict(frame=lambda f: f.assign(faq_quality=0.5),
                            provenance=_with(fitted=["trust_disposition", "faq_quality"],
                                             priors={"trust_disposition": [0.4, 0.7], "faq_quality": [0.0, 1.0]})),
                       "faq_quality: a policy lever"),
    "a lever assumed": (dict(frame=lambda f: f.assign(faq_quality=0.5),
                             provenance=lambda p: {**p, "assumptions": {**p["assumptions"], "faq_quality": [0, 1]}}),
                        "faq_quality: a policy lever"),
    "not a parameter": (dict(provenance=lambda p: {**p, "assumptions": {"colour": [0, 1]}}),
                        "colour: not a parameter"),
    "priors not the fitted": (dict(provenance=_with(priors={})), "priors"),
    "a prior upside down": (dict(provenance=_with(priors={"trust_disposition": [0.7, 0.4]})), "priors"),
    "assumption range malformed": (dict(provenance=_with(assumptions={"trust_gain": "wide"})), "assumptions"),
    "provenance a list": (dict(provenance=lambda p: [p]), "not a table of fields"),
    "provenance not json": (dict(raw=b"{not json"), "provenance"),
    "no model stamp": (dict(provenance=lambda p: {k: v for k, v in p.items() if k != "model"}), "model: missing"),
    "another model": (dict(provenance=_with(model={"crmsim": "0.0", "code": "0000"})), "drawn by another model"),
}


@pytest.mark.parametrize("fault", WORLDS_FAULTS)
def test_a_worlds_file_is_checked_before_any_world_is_used(tmp_path, capsys, fault):
    from crmsim.calibration.worlds import WorldsError, read_worlds

    edits, words = WORLDS_FAULTS[fault]
    path = _worlds(tmp_path / "w.parquet", **edits)
    with pytest.raises(WorldsError) as err:
        read_worlds(path)
    assert words in str(err.value) and "\n" not in str(err.value), str(err.value)
    base, faq = _scenarios(tmp_path)
    for command in (["compare", base, faq, "--reps", "2", "--out", tmp_path / "out"],
                    ["patterns", _patterns(tmp_path), "--out", tmp_path / "out"]):
        refused(run([*command, "--sequential", "--worlds", "2", "--worlds-file", path], capsys), str(path), words)
    assert not (tmp_path / "out").exists()


def test_a_worlds_file_of_another_posterior_is_refused(tmp_path, capsys):
    from crmsim.calibration.worlds import WorldsError, read_worlds

    posterior = tmp_path / "posterior.parquet"
    posterior.write_bytes(b"the posterior the worlds were drawn from")
    import hashlib

    drawn = hashlib.sha256(posterior.read_bytes()).hexdigest()[:16]
    path = _worlds(tmp_path / "w.parquet", provenance=_with(posterior=str(posterior), posterior_sha256=drawn))
    assert len(read_worlds(path)[0]) == 3
    posterior.write_bytes(b"a calibration run since")
    with pytest.raises(WorldsError, match="another posterior"):
        read_worlds(path)


def test_a_world_value_a_scenario_cannot_take_stops_compare_before_any_run(tmp_path, capsys):
    """Inside the range its provenance records, outside what the parameter allows: found before the base runs."""
    path = _worlds(tmp_path / "w.parquet", frame=lambda f: f.assign(trust_disposition=[0.5, 1.5, 0.5]),
                   provenance=_with(priors={"trust_disposition": [0.0, 2.0]}))
    base, faq = _scenarios(tmp_path)
    refused(run(["compare", base, faq, "--reps", "2", "--sequential", "--out", tmp_path / "out", "--worlds", "2",
                 "--worlds-file", path], capsys), "world 1", "trust_disposition")
    refused(run(["patterns", _patterns(tmp_path), "--sequential", "--out", tmp_path / "out", "--worlds", "2",
                 "--worlds-file", path], capsys), "world 1", "trust_disposition")
    assert not (tmp_path / "out").exists()


def test_compare_worlds_file_without_worlds_is_refused(tmp_path, capsys):
    base, faq = _scenarios(tmp_path)
    refused(run(["compare", base, faq, "--out", tmp_path / "out", "--worlds-file", tmp_path / "w.parquet"], capsys),
            "--worlds-file", "--worlds N")
    assert not (tmp_path / "out").exists()
