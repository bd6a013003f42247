"""``crmsim discover`` end to end on a real small sweep, its page in headless Chromium, and bad input.

The sweep is a tiny Latin hypercube run by ``crmsim sweep`` in a real process
(40 runs of 150 citizens, a few seconds); ``discover`` then runs in a real
process too, so that what a user sees on stderr (EMA Workbench's import
warnings included) is what is checked.
"""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from crmsim.commands import main
from crmsim.experiments.analysis import load_results
from crmsim.experiments.discovery import load_runs
from tests.browser import RequestLog, open_browser
from tests.experiments_util import BASELINE, ROOT, env, write_experiment

TINY_LHS = """
name = "tiny_lhs"
scenario = "{baseline}"
steps = 8
seed = 4
[set]
warmup = 20
population.n_citizens = 150
population.prescribers_per_1000 = 20
[design]
kind = "latin_hypercube"
samples = 40
[vary]
levers.funded_prescribers = { low = 0.0, high = 1.0 }
levers.redress_visibility = { low = 0.0, high = 1.0 }
levers.counter_staff = { low = 0.2, high = 2.0 }
levers.redress_deadline = { low = 2, high = 20 }
levers.single_front_office = [false, true]
[outputs]
every_step = []
at_end = ["trust_mean", "lost_users", "redress_success", "take_up"]
"""


def crmsim(*args) -> subprocess.CompletedProcess:
    """``crmsim ARGS`` as a real process, with Python's default warning filters (what a user gets)."""
    return subprocess.run([sys.executable, "-m", "crmsim", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env={k: v for k, v in env().items() if k != "PYTHONWARNINGS"}, timeout=300)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """The tiny sweep's results folder, and a condition half its runs meet."""
    folder = tmp_path_factory.mktemp("discover")
    proc = crmsim("sweep", write_experiment(folder, TINY_LHS), "--sequential", "--quiet", "--out", folder / "out")
    assert proc.returncode == 0, proc.stderr
    root = folder / "out" / "tiny_lhs"
    median = load_runs(load_results(root)).metrics["trust_mean"].median()
    return root, f"trust_mean > {median:.6f}"


@pytest.fixture(scope="module")
def discovered(sweep):
    root, where = sweep
    return root, crmsim("discover", root, "--where", where)


def test_discover_prints_the_trajectory_the_box_and_a_reading_and_nothing_on_stderr(discovered, sweep):
    root, proc = discovered
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr  # no EMA Workbench or library warnings
    out = proc.stdout
    assert out.startswith(f"tiny_lhs: 40 runs, 5 levers varied; 20 (50%) meet {sweep[1]}  (Mean trust > ")
    assert "PRIM peeling trajectory" in out and "coverage  density  mass  levers restricted" in out
    assert "<- chosen" in out and "quasi-p" in out and "levers restricted:" in out  # a box that restricts some
    assert "of the runs in the box meet the condition (coverage " in out
    assert "levers that matter most for it (extra-trees feature scores): " in out
    assert f"wrote {root / 'discover.html'}" in out and f"wrote {root / 'discover_box.toml'}" in out
    assert f"crmsim compare {BASELINE} {root / 'discover_box.toml'}" in out  # the box beside the sweep's base


def test_the_box_is_a_scenario_that_validates(discovered):
    root, _ = discovered
    assert main(["validate", str(root / "discover_box.toml")]) == 0
    text = (root / "discover_box.toml").read_text()
    assert "single_front_office = " in text and "redress_deadline = " in text and "[population]" in text


def test_discover_html_opens_offline_in_chromium_with_its_plots(discovered):
    root, _ = discovered
    page_file = root / "discover.html"
    assert '<script src="http' not in page_file.read_text()
    with open_browser() as browser:
        context = browser.new_context()
        log = RequestLog().attach(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(page_file.as_uri())
        page.wait_for_selector(".plotly-graph-div .main-svg")
        plots = page.locator(".plotly-graph-div")
        assert plots.count() == 3  # trade-off, box against ranges, levers that matter
        for i in range(3):
            assert plots.nth(i).locator(".main-svg").count() >= 1  # each drawn by plotly.js
        assert page.locator(".scatterlayer .trace").count() >= 2  # the trajectory and the ringed chosen box
        assert "of the runs in the box meet the condition" in page.inner_text("h1 + p")  # the reading, first
        context.close()
    assert errors == [] and log.outside() == []  # no request left 127.0.0.1


def test_cart_on_the_same_sweep(sweep):
    root, where = sweep
    proc = crmsim("discover", root, "--where", where, "--method", "cart")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert "CART leaves" in proc.stdout and "<- chosen" in proc.stdout


def test_the_sweep_report_has_feature_scores(sweep):
    root, _ = sweep
    from crmsim.viz.report import write_report

    written = {p.name for p in write_report(root)}
    assert "feature_scores.csv" in written
    table = pd.read_csv(root / "feature_scores.csv")
    assert list(table.columns) == ["metric", "lever", "score", "rank"]
    assert set(table["metric"]) <= {"trust_mean", "lost_users", "redress_success", "take_up"}
    assert table.groupby("metric")["lever"].nunique().eq(5).all()
    assert "Which levers matter" in (root / "report.html").read_text()


@pytest.mark.parametrize("args, words", [
    (["--where", "trust_mean > 0.5"], "no manifest.json here"),
    (["--where", "trust_mean >"], "--where: cannot read 'trust_mean >' as a condition; allowed: "),
    (["--where", "trust < 0.5"], "--where: unknown metric 'trust' (did you mean trust_mean?); allowed: the final "
                                 "metrics of this sweep: trust_mean, lost_users, redress_success, take_up"),
    (["--where", "counter_staff > 1"], "counter_staff is a varied lever, not a metric"),
    (["--where", "trust_mean > 2"], "--where: trust_mean > 2 holds for none of the 40 runs (trust_mean ranges from "),
    (["--where", "trust_mean > -1"], "--where: trust_mean > -1 holds for all of the 40 runs"),
    (["--where", "trust_mean > 0.5", "--method", "forest"], "--method: got 'forest'; allowed: prim, cart"),
    (["--where", "trust_mean > 0.5", "--mass-min", "1.5"], "--mass-min: must be a number between 0 and 1"),
    (["--where", "trust_mean > 0.5", "--box", "x"], "allowed: a whole number of at least 0"),
])
def test_bad_input_is_one_line_naming_what_is_allowed(sweep, tmp_path, capsys, args, words):
    root = tmp_path / "nothing" if words == "no manifest.json here" else sweep[0]
    assert main(["discover", str(root), *args]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(("crmsim: error: ", "crmsim discover: error: argument "))  # ours, or argparse's own


# Conditions the syntax filter lets through but that are not conditions over metrics, and the words each refusal
# must contain: none may end in a traceback.
BAD_CONDITIONS = [
    ("not trust_mean", "'trust_mean' is used where a comparison"),
    ("~trust_mean", "'trust_mean' is used where a comparison"),
    ("trust_mean > 0.5 and 1", "'1' is used where a comparison"),
    ("trust_mean > 0.5 or lost_users", "'lost_users' is used where a comparison"),
    ("trust_mean & lost_users", "'trust_mean' is used where a comparison"),
    ("trust_mean | 0.3", "is used where a comparison"),
    ("(trust_mean > 0.5) + 1", "is used where a number"),
    ("(trust_mean > 0.5) < 1", "is used where a number"),
    ("-(lost_users < 0.2)", "is used where a number"),
    ("trust_mean + lost_users", "is not a condition"),
    ("trust_mean", "is not a condition"),
    ("trust_mean * 2 - 1", "is not a condition"),
    (" + ".join(["trust_mean"] * 400) + " > 1", "characters; allowed: a condition of at most"),
    ("(" * 120 + "trust_mean" + ")" * 120 + " > 0.5", "condition"),
    ("trust_mean > 'a'", "is not allowed in a condition"),
    ("trust_mean > True", "is not allowed in a condition"),
    ("trust_mean.real > 0", "is not allowed in a condition"),
    ("abs(trust_mean) > 0", "is not allowed in a condition"),
    ("trust_mean[0] > 0", "is not allowed in a condition"),
    ("trust_mean ** 2 > 0", "is not allowed in a condition"),
    ("trust_mean // 2 > 0", "is not allowed in a condition"),
    ("trust_mean % 2 > 0", "is not allowed in a condition"),
    ("trust_mean in [1]", "is not allowed in a condition"),
    ("trust_mean is None", "is not allowed in a condition"),
    ("lambda: 1", "is not allowed in a condition"),
    ("trust_mean if 1 else 0", "is not allowed in a condition"),
    ("trust_mean > 0.5; lost_users < 1", "cannot read"),
    ("trust_mean = 0.5", "cannot read"),
    ("", "cannot read"),
    ("   ", "cannot read"),
    ("1 < 2", "names no metric"),
    ("\x00", "cannot read"),
]


@pytest.mark.parametrize("where, words", BAD_CONDITIONS, ids=[w[:30] for w, _ in BAD_CONDITIONS])
def test_a_condition_that_is_not_one_is_refused_in_one_line(sweep, capsys, where, words):
    root = sweep[0]
    before = sorted(p.name for p in root.iterdir())
    assert main(["discover", str(root), "--where", where]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err, err
    assert sorted(p.name for p in root.iterdir()) == before


def test_and_or_not_may_be_written_as_pandas_writes_them(sweep, capsys):
    from crmsim.experiments.discovery import parse_condition

    metrics = load_runs(load_results(sweep[0])).metrics
    t, lost, up = (metrics[m].median() for m in ("trust_mean", "lost_users", "take_up"))
    words = parse_condition(f"not (trust_mean > {t} and lost_users < {lost}) or take_up > {up}", metrics).holds
    symbols = parse_condition(f"~((trust_mean > {t}) & (lost_users < {lost})) | (take_up > {up})", metrics).holds
    by_hand = ~((metrics["trust_mean"] > t) & (metrics["lost_users"] < lost)) | (metrics["take_up"] > up)
    assert (words == symbols).all() and (words == by_hand.to_numpy()).all() and 0 < words.sum() < len(words)


def test_a_folder_written_by_compare_is_refused_in_one_line(tmp_path, capsys):
    small = tmp_path / "small.toml"
    small.write_text('steps = 2\nwarmup = 2\n[population]\nn_citizens = 60\nprescribers_per_1000 = 33.4\n')
    faq = tmp_path / "faq.toml"
    faq.write_text('policy = "faq"\n' + small.read_text())
    assert main(["compare", str(small), str(faq), "--reps", "2", "--quiet", "--sequential",
                 "--out", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    (folder,) = (tmp_path / "out").iterdir()
    assert main(["discover", str(folder), "--where", "trust_mean > 0.5"]) == 2
    err = capsys.readouterr().err
    assert "written by crmsim compare" in err and err.count("\n") == 1 and "Traceback" not in err, err
