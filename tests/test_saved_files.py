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
