"""Two tiny sweeps run through the command line, for the report's readability and screenshot checks.

Not a test module. They run through ``crmsim.commands.main`` in the test's process
(the command line without a new interpreter). ``GRID``: a full factorial of two policies x two lever
values x two more (a baseline, paired differences, heatmaps, bands per point);
``SOBOL``: a Sobol design at N = 4, far too small for its indices, so the
report must warn. Each takes a few seconds (100 citizens, a 5-week warm-up).
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from crmsim.commands import main

ROOT = Path(__file__).resolve().parents[1]
BASE = (ROOT / "scenarios" / "calibrated_baseline.toml").as_posix()

_COMMON = f"""
scenario = "{BASE}"
steps = 6
seed = 4
[set]
warmup = 5
population.n_citizens = 100
population.prescribers_per_1000 = 20
"""

GRID = f"""name = "grid"
description = "Two policies x FAQ quality x counter staff"
replications = 2
{_COMMON}
[vary]
policy = ["supply_front_office", "redress_procedure"]
levers.faq_quality = [0.0, 0.6]
levers.counter_staff = [1.0, 2.0]
[outputs]
every_step = ["trust_mean", "knowledge_gini", "redress_success"]
at_end = "all"
"""

SOBOL = f"""name = "sobol"
replications = 1
{_COMMON}
[design]
kind = "sobol"
samples = 4
[vary]
levers.faq_quality = {{ low = 0.0, high = 1.0 }}
levers.counter_staff = {{ low = 0.2, high = 2.0 }}
levers.redress_visibility = {{ low = 0.0, high = 1.0 }}
[outputs]
every_step = ["trust_mean"]
at_end = ["trust_mean", "trust_share", "knowledge_gini", "take_up", "redress_success", "lost_users",
          "staff_per_need_met", "trust_q1", "take_up_q4"]
"""


def crmsim(*args: str) -> tuple[int, str, str]:
    """``crmsim --lang en ARGS`` in this process: exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--lang", "en", *map(str, args)])
    return code, out.getvalue(), err.getvalue()


def sweep(folder: Path, name: str, text: str) -> Path:
    """Run the experiment ``text`` into ``folder`` and return its results folder."""
    spec = folder / f"{name}.toml"
    spec.write_text(text, encoding="utf-8")
    code, _out, err = crmsim("sweep", spec, "--sequential", "--quiet", "--out", folder / "results")
    assert code == 0, err
    return folder / "results" / name
