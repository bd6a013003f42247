"""Bad experiments and options end cleanly: exit 2, one line naming the file and field, nothing written.

Each problem here was seen through the command line (a SALib error, a
MemoryError after a minute, a raw OSError, ``ValueError: unknown address
scheme``), so each is checked on a real ``python -m crmsim``
process, besides the function that refuses it.
"""

from __future__ import annotations

import errno
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

from crmsim.experiments.design import Factor, design_size, make_design
from crmsim.experiments.evaluators.dask import address_problem
from crmsim.experiments.evaluators.processes import available_cores
from crmsim.experiments.limits import MAX_RUNS, cap_workers, too_big
from crmsim.experiments.spec import SpecError, load_experiment, parse_experiment
from crmsim.experiments.store import ResultStore, StoreError, atomic_write
from tests.experiments_util import BASELINE, PYTHON, ROOT, cli, env, write_experiment

TINY = """
name = "tiny"
scenario = "{baseline}"
steps = 2
[set]
warmup = 2
population.n_citizens = 100
population.prescribers_per_1000 = 20
[vary]
levers.faq_quality = [0.0, 0.5]
"""


def _one_line_error(proc, *words: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("crmsim: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    for word in words:
        assert word in proc.stderr, (word, proc.stderr)


# --- ranges that SALib refuses ----------------------------------------------------------------

@pytest.mark.parametrize("design", ['kind = "sobol"\nsamples = 8', 'kind = "morris"\ntrajectories = 4',
                                    'kind = "latin_hypercube"\nsamples = 5', 'kind = "full_factorial"'])
def test_a_range_with_low_equal_to_high_is_refused_when_read(design, tmp_path):
    levels = ", levels = 3" if "full" in design else ""
    path = write_experiment(tmp_path, f"""
scenario = "{{baseline}}"
[design]
{design}
[vary]
levers.forum = {{ low = 0.0, high = 1.0{levels} }}
levers.faq_quality = {{ low = 0.5, high = 0.5{levels} }}
""")
    with pytest.raises(SpecError, match=r"vary\.levers\.faq_quality: low and high are both 0.5; allowed: low < high"):
        load_experiment(path)
    if "sobol" in design:  # the case seen: validate said ok, then sweep died inside SALib
        proc = cli("sweep", path, "--sequential", "--out", tmp_path / "out")
        _one_line_error(proc, str(path), "vary.levers.faq_quality", "low < high")
        assert not (tmp_path / "out").exists()


# --- outputs ------------------------------------------------------------------------------------

def test_no_metric_kept_is_refused_and_leaves_no_results_folder(tmp_path):
    path = write_experiment(tmp_path, TINY + "[outputs]\nevery_step = []\nat_end = []\n")
    proc = cli("sweep", path, "--sequential", "--out", tmp_path / "out")
    _one_line_error(proc, str(path), "outputs:", "at least one metric")
    assert not (tmp_path / "out").exists()
    # Either list alone may be empty.
    series_only = parse_experiment({"scenario": {}, "outputs": {"every_step": ["trust_mean"], "at_end": []}})
    assert series_only.spec.outputs.final == ["trust_mean"]


def test_no_metric_at_every_step_keeps_final_rows_only(tmp_path):
    from crmsim.experiments.evaluators import SequentialEvaluator
    from crmsim.experiments.runner import run_sweep

    path = write_experiment(tmp_path, TINY + '[outputs]\nevery_step = []\nat_end = ["trust_mean", "take_up"]\n')
    with SequentialEvaluator() as ev:
        result = run_sweep(load_experiment(path), tmp_path / "out", ev)
    rows = ResultStore(result.root).read()
    assert set(rows["kind"]) == {"final"} and sorted(rows["metric"].unique()) == ["take_up", "trust_mean"]
    assert len(rows) == 2 * 2


# --- designs too big for the machine ------------------------------------------------------------

TEN_LEVERS = ["faq_quality", "public_qa", "forum", "funded_prescribers", "redress_visibility", "transparency",
              "responsiveness", "review_independence", "counter_staff"]


def _ranges(names, extra: str = "") -> str:
    low_high = {"counter_staff": (0.2, 2.0)}
    return "\n".join(f"levers.{n} = {{ low = {low_high.get(n, (0.0, 1.0))[0]}, high = "
                     f"{low_high.get(n, (0.0, 1.0))[1]}{extra} }}" for n in names)


HUGE = {
    "full factorial of 3 x 100,000 levels": (
        "[vary]\n" + _ranges(["faq_quality", "forum", "public_qa"], ", levels = 100000"),
        "vary", "1,000,000,000,000,000 runs"),
    "Sobol with 8,388,608 samples": (
        '[design]\nkind = "sobol"\nsamples = 8388608\n[vary]\n' + _ranges(TEN_LEVERS),
        "design.samples", "92,274,688 runs"),
    "Latin hypercube of 10^7 samples": (
        '[design]\nkind = "latin_hypercube"\nsamples = 10000000\n[vary]\n' + _ranges(["faq_quality"]),
        "design.samples", "10,000,000 runs"),
    "Morris with a million trajectories": (
        '[design]\nkind = "morris"\ntrajectories = 1000000\n[vary]\n' + _ranges(["faq_quality", "forum"]),
        "design.trajectories", "3,000,000 runs"),
    "too many replications": ("replications = 100000\n[vary]\nlevers.faq_quality = " +
                              str([i / 20 for i in range(11)]), "replications", "1,100,000 runs"),
}


@pytest.mark.parametrize("case", sorted(HUGE))
def test_a_design_too_big_is_refused_when_read_with_the_size_it_would_reach(case, tmp_path, monkeypatch):
    body, field, runs = HUGE[case]
    path = write_experiment(tmp_path, f'scenario = "{{baseline}}"\n{body}\n')

    def never(*args, **kwargs):
        raise AssertionError("the design was built before the size was checked")

    monkeypatch.setattr("crmsim.experiments.spec.make_design", never)  # refused before anything is built
    with pytest.raises(SpecError) as caught:
        load_experiment(path).design
    text = str(caught.value)
    assert text.startswith(f"{path}: {field}: ") and runs in text, text
    assert re.search(r"\(about [\d,.]+ [kMGT]?B to build the design\)", text), text
    assert f"allowed: at most {MAX_RUNS:,} runs" in text and "\n" not in text


def test_validate_and_sweep_refuse_a_huge_sobol_design_at_once(tmp_path):
    path = write_experiment(tmp_path, f'scenario = "{{baseline}}"\n{HUGE["Sobol with 8,388,608 samples"][0]}\n')
    import subprocess

    validate = subprocess.run([PYTHON, "-m", "crmsim", "validate", str(path)], capture_output=True, text=True,
                              cwd=ROOT, env=env(), timeout=60)
    assert validate.returncode == 2 and "92,274,688 runs" in validate.stderr, validate.stderr
    sweep = cli("sweep", path, "--sequential", "--out", tmp_path / "out", timeout=60)
    _one_line_error(sweep, str(path), "design.samples", "92,274,688 runs", "GB to build the design")
    assert not (tmp_path / "out").exists()


def test_the_limits_are_about_runs_and_design_memory():
    assert too_big(MAX_RUNS, 1, 1) is None and too_big(MAX_RUNS + 1, 1, 1) is not None
    assert too_big(MAX_RUNS // 2, 1, 2) is None and too_big(MAX_RUNS // 2, 1, 3) is not None
    assert too_big(100_000, 500, 1) is not None  # few runs, but 500 factors: about 4 GB of design
    shipped = [load_experiment(ROOT / "experiments" / f"{n}.toml") for n in ("paper_question", "sobol_headline")]
    assert all(too_big(e.n_points, len(e.factors), e.spec.replications) is None for e in shipped)


def test_design_size_is_the_size_of_the_design_built():
    factors = [Factor("a", low=0.0, high=1.0, levels=3), Factor("b", values=("x", "y")),
               Factor("n", low=2, high=4, levels=7, integer=True)]  # 7 levels of 2..4: 3 distinct values
    ranges = [Factor("a", low=0.0, high=1.0), Factor("b", low=-1.0, high=1.0), Factor("c", values=(1, 2, 3))]
    cases = [("full_factorial", factors, {}), ("full_factorial", [], {}),
             ("latin_hypercube", ranges, {"samples": 7}), ("sobol", ranges, {"samples": 8}),
             ("sobol", ranges, {"samples": 8, "second_order": True}), ("morris", ranges, {"trajectories": 3}),
             ("morris", ranges[:1], {"trajectories": 5, "levels": 6})]
    for kind, fs, options in cases:
        assert design_size(kind, fs, **options) == len(make_design(kind, fs, seed=1, **options)), (kind, options)
    assert design_size("full_factorial", factors) == 3 * 2 * 3


# --- where results go ------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["under a file", "under /proc"])
def test_an_out_folder_that_cannot_be_written_is_one_line_and_nothing_is_left(where, tmp_path):
    path = write_experiment(tmp_path, TINY)
    if where == "under a file":
        blocker = tmp_path / "results.txt"
        blocker.write_text("not a folder")
        out, words = blocker / "sub", ["is a file, not a folder"]
    else:
        out, words = Path("/proc/crmsim-results"), ["/proc"]
    proc = cli("sweep", path, "--sequential", "--out", out)
    _one_line_error(proc, "cannot write results in", str(out / "tiny"), "allowed: --out a folder", *words)
    if where == "under a file":
        assert blocker.read_text() == "not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["exp.toml", *(["results.txt"] * (
        where == "under a file"))])


def test_a_read_only_folder_is_one_line_and_leaves_no_folder(tmp_path, monkeypatch):
    """A read-only file system refuses the probe file (as root, chmod cannot make a folder read-only)."""
    store = ResultStore(tmp_path / "results" / "tiny")

    def read_only(self, data):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(Path, "write_bytes", read_only)
    with pytest.raises(StoreError, match=r"cannot write results in .*tiny: Read-only file system"):
        store.check_writable()
    assert not (tmp_path / "results").exists()  # the folders it made to try are gone again


def test_atomic_write_names_the_file_keeps_the_old_one_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "summary.csv"
    target.write_text("old")

    def half_then_full_disk(temp: Path) -> None:
        temp.write_text("ha")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(StoreError, match=r"cannot write .*summary.csv: No space left on device"):
        atomic_write(target, half_then_full_disk)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["summary.csv"]


# --- backend options --------------------------------------------------------------------------

def test_a_dask_address_that_is_not_a_scheduler_is_one_line(tmp_path):
    path = write_experiment(tmp_path, TINY)
    proc = cli("sweep", path, "--dask", "http://127.0.0.1:8786", "--out", tmp_path / "out")
    _one_line_error(proc, "--dask: got 'http://127.0.0.1:8786'", "allowed: local", "tcp://")
    assert not (tmp_path / "out").exists()
    for good in ("local", "tcp://127.0.0.1:8786", "tls://scheduler.example.org:8786", "tcp://[::1]:8786"):
        assert address_problem(good) is None, good
    for bad in ("http://host:8786", "tcp://host", "tcp://host:0", "tcp://host:99999", "host:8786", "inproc://x:1",
                "tcp://:8786", "tcp://host:8786/path"):
        assert address_problem(bad) is not None, bad


def test_more_workers_than_cores_are_capped_with_one_warning(tmp_path):
    cores = available_cores()
    path = write_experiment(tmp_path, TINY)
    proc = cli("sweep", path, "--workers", str(cores + 14), "--quiet", "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == (f"crmsim: warning: --workers {cores + 14}: only {cores} core"
                           f"{'s are' if cores != 1 else ' is'} usable here; using {cores} worker "
                           f"process{'es' if cores != 1 else ''}\n")
    manifest = ResultStore(tmp_path / "out" / "tiny").read_manifest()
    assert manifest["sessions"][0]["backend"] == f"processes ({cores} worker{'s' if cores != 1 else ''})"
    assert cap_workers(cores, cores) == (cores, None) and cap_workers(None, cores) == (None, None)


# --- files named in an experiment ----------------------------------------------------------------

def test_a_network_file_in_set_or_vary_is_found_beside_the_experiment_file(tmp_path, monkeypatch):
    folder = tmp_path / "study"
    (folder / "nets").mkdir(parents=True)
    example = ROOT / "scenarios" / "networks" / "example.edgelist"
    (folder / "nets" / "town.edgelist").write_text(example.read_text())
    (folder / "nets" / "ring.edgelist").write_text("".join(f"{i} {(i + 1) % 30}\n" for i in range(30)))
    text = f"""
name = "nets"
scenario = "{BASELINE.as_posix()}"
steps = 2
[set]
warmup = 2
network.topology = "file"
population.prescribers_per_1000 = 40
[vary]
network_file = ["nets/town.edgelist", "nets/ring.edgelist"]
"""
    path = folder / "nets.toml"
    path.write_text(text)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not the experiment's folder
    exp = load_experiment(path)
    assert exp.factors[0].values == tuple(str((folder / "nets" / n).resolve()) for n in ("town.edgelist",
                                                                                         "ring.edgelist"))
    proc = cli("sweep", path, "--sequential", "--quiet", "--out", tmp_path / "out")  # run from the repository
    assert proc.returncode == 0, proc.stderr
    assert ResultStore(tmp_path / "out" / "nets").done_run_ids() == {0, 1}

    fixed = text.replace('network_file = ["nets/town.edgelist", "nets/ring.edgelist"]', "faq_quality = [0.0, 0.5]")
    path.write_text(fixed.replace("[vary]", 'network.network_file = "nets/ring.edgelist"\n[vary]'))
    assert load_experiment(path).base.network.network_file == str((folder / "nets" / "ring.edgelist").resolve())

    path.write_text(text.replace('"nets/ring.edgelist"]', '"nets/missing.edgelist"]'))
    with pytest.raises(SpecError, match=r"vary\.network_file\[1\]: no such file .*missing\.edgelist"):
        load_experiment(path)  # what crmsim validate runs on an experiment file
    path.write_text(fixed.replace("[vary]", 'network.network_file = "ring.edgelist"\n[vary]'))
    proc = cli("sweep", path, "--sequential", "--out", tmp_path / "out2")
    _one_line_error(proc, str(path), "set.network.network_file: no such file", "relative to the experiment file")
    assert not (tmp_path / "out2").exists()


# --- dependencies match the code ---------------------------------------------------------------

def _third_party_imports(folder: Path) -> set[str]:
    import ast

    names: set[str] = set()
    for file in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    local = {"crmsim", "tests", "model", "experiments", "viz", "benchmarks"}
    return {n for n in names if n not in sys.stdlib_module_names and n not in local}


def _requirement_names(text: str) -> set[str]:
    """'dask[distributed]>=2024.1' -> {'dask', 'distributed'}: the package and the extras it pulls in by name."""
    match = re.match(r"\s*([A-Za-z0-9_.-]+)\s*(?:\[([^\]]*)\])?", text)
    assert match, text
    names = {match[1], *(e.strip() for e in (match[2] or "").split(",") if e.strip())}
    return {n.lower().replace("_", "-") for n in names}


def test_every_package_the_code_imports_is_a_declared_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = set().union(*map(_requirement_names, project["dependencies"]))
    with_tests = declared.union(*map(_requirement_names, project["optional-dependencies"]["test"]))
    distributions = importlib.metadata.packages_distributions()
    for folders, allowed in ((("experiments", "viz", "model", "crmsim", "benchmarks"), declared),
                             (("tests",), with_tests)):
        for folder in folders:
            for module in _third_party_imports(ROOT / folder):
                owners = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
                assert owners & allowed, f"{folder}/ imports {module} ({', '.join(owners)}), not declared"
    assert {"dask", "filelock", "psutil"} <= declared
    source = (ROOT / "experiments" / "evaluators" / "dask.py").read_text()
    assert "except ImportError" not in source and "dask_available" not in source  # not optional anywhere
