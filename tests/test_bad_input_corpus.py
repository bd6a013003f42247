"""A corpus of malformed inputs: each ends with exit 2 and one line, no traceback, no hang, nothing left behind.

The hand-written cases live in ``tests/corpus/`` (scenario, experiment and network
files, and bad command lines), each with the words its error must contain; more
scenario cases are generated from the parameter table, so a new parameter is
covered the day it is added: for every parameter, a value of the wrong type and,
where it has bounds, values just outside them. ``tests/corpus_saved.py`` breaks
the files commands save and read back (manifests, parts, candidates,
evaluations, histories, refits, worlds files), one fault at a time, each in a
copy of a real saved run.

Each case runs ``crmsim`` in this process (``crmsim.commands.main``), in an empty
working folder, under a 60 s alarm: a hang fails the test instead of stalling
the suite, and any file or folder the command leaves in the working folder or
beside its input fails it too.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import signal
import tomllib
from pathlib import Path

import pytest

from crmsim.commands import main
from crmsim.model.params import PARAMS
from tests.corpus_generated import all_cases
from tests.corpus_saved import SAVED_CASES, build_saved, prepare

CORPUS = Path(__file__).resolve().parent / "corpus"
ROOT = CORPUS.parents[1]
LIMIT_S = 60
MINIMUM_CASES = 300
MINIMUM_SAVED_CASES = 150  # damaged or edited saved files, and bad options on saved folders (tests/corpus_saved.py)


def _load(kind: str) -> list[dict]:
    return tomllib.loads((CORPUS / f"{kind}.toml").read_text(encoding="utf-8"))["case"]


def _toml(value) -> str:
    """A value as TOML text (floats keep their special values: nan, inf)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value == math.inf else repr(value))
    return str(value)


def _parameter_cases() -> list[dict]:
    """For every parameter: wrong types, and values just outside its bounds."""
    cases = []
    for p in PARAMS.values():
        if p.choices is not None:
            bad = ['"not_a_choice"', "3"]
        elif p.kind is bool:
            bad = ['"yes"', "2"]
        elif p.kind is str:
            bad = ["5", "true"]
        else:
            bad = ['"x"', "true", "[1]", "nan" if p.kind is float else "2.5"]
            step = 1 if p.kind is int else max(1.0, abs(p.high or 1.0))
            if p.low is not None:
                bad.append(_toml(p.kind(p.low - step)))
            if p.high is not None:
                bad.append(_toml(p.kind(p.high + step)))
        for i, value in enumerate(bad):
            cases.append({"name": f"{p.name}_{i}", "content": f"[{p.section}]\n{p.name} = {value}\n",
                          "expect": f"{p.section}.{p.name}"})
    return cases


SCENARIO_CASES = _load("scenarios") + _parameter_cases()
EXPERIMENT_CASES = _load("experiments")
NETWORK_CASES = _load("networks")
CLI_CASES = _load("cli")
# calibrate's targets, worlds, patterns and frontier files, broken one field at a time (tests/corpus_generated.py)
FILE_CASES = all_cases()


def _listing(*folders: Path) -> set[str]:
    return {str(p) for folder in folders for p in folder.rglob("*")}


def _call(argv: list[str], workdir: Path) -> tuple[int, str, str]:
    """``crmsim ARGV`` in this process, from ``workdir``, under a 60 s alarm; (exit code, stdout, stderr)."""
    def hang(signum, frame):
        raise TimeoutError(f"crmsim {' '.join(argv)} took more than {LIMIT_S} s")

    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, hang)
    here = os.getcwd()
    signal.alarm(LIMIT_S)
    try:
        os.chdir(workdir)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        os.chdir(here)
    return code, out.getvalue(), err.getvalue()


def _assert_clean_refusal(argv: list[str], workdir: Path, expect: str, watched: list[Path]) -> None:
    before = _listing(workdir, *watched)
    code, out, err = _call(argv, workdir)
    assert "Traceback" not in err and "Traceback" not in out, err
    assert code == 2, f"crmsim {' '.join(argv)}: exit {code}, stderr {err!r}"
    assert err.endswith("\n") and len(err.splitlines()) == 1, f"not one line: {err!r}"
    assert expect.lower() in err.lower(), f"{expect!r} not in {err!r}"
    assert _listing(workdir, *watched) == before, f"crmsim {' '.join(argv)} left files behind"


def test_the_corpus_is_large_enough():
    total = len(SCENARIO_CASES) + len(EXPERIMENT_CASES) + len(NETWORK_CASES) + len(CLI_CASES)
    assert total >= MINIMUM_CASES, f"{total} cases"
    assert len(FILE_CASES) >= MINIMUM_CASES, f"{len(FILE_CASES)} generated cases"
    assert len(SAVED_CASES) >= MINIMUM_SAVED_CASES, f"{len(SAVED_CASES)} saved-file cases"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("case", SCENARIO_CASES, ids=lambda c: c["name"])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_malformed_scenario_is_refused_in_one_line(case, command, tmp_path, workdir):
    path = tmp_path / "scenario.toml"
    path.write_text(case["content"], encoding="utf-8")
    _assert_clean_refusal([command, str(path)], workdir, case["expect"], [tmp_path])


@pytest.mark.parametrize("case", EXPERIMENT_CASES, ids=lambda c: c["name"])
@pytest.mark.parametrize("command", ["validate", "sweep"])
def test_a_malformed_experiment_is_refused_in_one_line_and_starts_nothing(case, command, tmp_path, workdir):
    base = tmp_path / "base.toml"
    base.write_text('name = "base"\nsteps = 2\nwarmup = 2\n[population]\nn_citizens = 50\nprescribers_per_1000 = 40\n')
    path = tmp_path / "experiment.toml"
    path.write_text(case["content"].format(scenario=base), encoding="utf-8")
    _assert_clean_refusal([command, str(path)], workdir, case["expect"], [tmp_path])


@pytest.mark.parametrize("case", NETWORK_CASES, ids=lambda c: c["name"])
@pytest.mark.parametrize("command", ["validate", "run", "compare"])
def test_a_malformed_network_file_is_refused_in_one_line(case, command, tmp_path, workdir):
    network = tmp_path / f"network{case['suffix']}"
    network.write_bytes(case["content"].encode(case.get("encoding", "utf-8")))
    path = tmp_path / "scenario.toml"
    path.write_text(f'warmup = 1\nsteps = 1\n[network]\ntopology = "file"\nnetwork_file = "{network.name}"\n')
    # compare reads every file it points to before it makes its results folder or starts a run
    argv = [command, str(path)] if command != "compare" else [command, str(ROOT / "scenarios" / "faq.toml"), str(path)]
    _assert_clean_refusal(argv, workdir, network.name, [tmp_path])


@pytest.mark.parametrize("command, name, text, expect", FILE_CASES, ids=[c[1] for c in FILE_CASES])
def test_a_malformed_calibration_worlds_patterns_frontier_or_story_file_is_refused_in_one_line(
        command, name, text, expect, tmp_path, workdir):
    path = tmp_path / f"{name.split('-')[0]}.toml"
    path.write_text(text, encoding="utf-8")
    _assert_clean_refusal([*command.split(), str(path)], workdir, expect, [tmp_path, ROOT / "calibration"])


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, Path]:
    """One finished run of each command whose saved files the saved-file cases break (about 15 s, once)."""
    return build_saved(tmp_path_factory.mktemp("saved"))


@pytest.mark.parametrize("case", SAVED_CASES, ids=lambda c: c.name)
def test_a_damaged_saved_file_or_a_bad_option_on_a_saved_folder_is_refused_in_one_line(case, saved, tmp_path,
                                                                                      workdir):
    argv, watched = prepare(case, saved, tmp_path)
    _assert_clean_refusal(argv, workdir, case.expect, watched)


@pytest.fixture
def places(tmp_path: Path) -> dict[str, str]:
    """The files and folders the command-line cases name."""
    faq = tmp_path / "faq.toml"
    faq.write_text('name = "faq"\npolicy = "faq"\nsteps = 1\nwarmup = 1\n[population]\nn_citizens = 50\n')
    exp = tmp_path / "exp.toml"
    exp.write_text(f'name = "tiny"\nscenario = "{faq}"\n[vary]\nfaq_quality = [0.0, 0.5]\n')
    afile = tmp_path / "afile"
    afile.write_text("a file, not a folder\n")
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    empty = tmp_path / "empty_results"
    empty.mkdir()
    named = {"faq": faq, "exp": exp, "afile": afile, "fifo": fifo, "empty_results": empty, "tmp": tmp_path / "t"}
    (tmp_path / "t").mkdir()
    for key, text in {"manifest_list": "[]", "manifest_object": "{}", "manifest_string": '"x"',
                      "manifest_text": "not json {"}.items():
        folder = tmp_path / key
        folder.mkdir()
        (folder / "manifest.json").write_text(text)
        named[key] = folder
    bad_resume = tmp_path / "bad_resume"
    (bad_resume / "tiny").mkdir(parents=True)
    (bad_resume / "tiny" / "manifest.json").write_text(json.dumps([]))
    named["bad_resume_out"] = bad_resume
    return {key: str(value) for key, value in named.items()}


@pytest.mark.parametrize("case", CLI_CASES, ids=lambda c: " ".join(c["argv"]))
def test_a_bad_command_line_is_refused_in_one_line(case, places, tmp_path, workdir):
    argv = [arg.format(**places) for arg in case["argv"]]
    _assert_clean_refusal(argv, workdir, case["expect"].format(**places), [tmp_path])


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_file_too_large_for_a_scenario_is_refused_before_it_is_read(command, tmp_path, workdir):
    big = tmp_path / "big.toml"
    big.write_text("# padding\n" * 200_000)
    _assert_clean_refusal([command, str(big)], workdir, "too large", [tmp_path])


@pytest.mark.parametrize("kind", ["fifo", "device", "folder", "missing"])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_network_file_that_is_not_a_regular_file_is_refused_without_reading_it(kind, command, tmp_path, workdir):
    target = {"fifo": tmp_path / "net.edgelist", "device": Path("/dev/zero"), "folder": tmp_path / "net.csv",
              "missing": tmp_path / "gone.edgelist"}[kind]
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    path = tmp_path / "scenario.toml"
    path.write_text(f'[network]\ntopology = "file"\nnetwork_file = "{target}"\n')
    _assert_clean_refusal([command, str(path)], workdir, "network.network_file", [tmp_path])
