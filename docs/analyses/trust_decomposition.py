"""Where each large trust verdict comes from: experience, publication, or having a say (issue 35).

For each policy, the effect on mean trust at the verdicts' reading year is
measured on paired seeds three more times, each time with one channel switched
off in both the baseline and the policy:

- *publication*: published outcomes and published fixes are not read
  (``publication_weight`` = 0, ``fix_news_weight`` = 0);
- *having a say*: being heard does not raise the level trust returns to
  (``say_weight`` = 0);
- *both off*: what is left is *experience* (what citizens live: better
  service, redress heard, help), the rest of the model.

The share of the effect from publication is (full - without publication) /
full, and so on. Run it from the repository's root:

    .venv/bin/python docs/analyses/trust_decomposition.py > docs/analyses/trust_decomposition.md

(about 10 minutes on 2 cores at 10,000 citizens, 6 seeds).
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from scipy import stats

from crmsim.model import CrmModel
from crmsim.model.scenario import load_scenario

BASE = "scenarios/calibrated_baseline.toml"
POLICIES = ["transparent_feedback", "co_design", "opinion_poll", "ratings_reviews", "democratic_governance"]
SWITCHES = {"full": {}, "no publication": {"publication_weight": 0.0, "fix_news_weight": 0.0},
            "no say": {"say_weight": 0.0},
            "experience only": {"publication_weight": 0.0, "fix_news_weight": 0.0, "say_weight": 0.0}}
SEEDS = range(6)


def _effects(job: tuple[str, int]) -> dict[tuple[str, str], float]:
    """For one switch and seed: each policy's effect on mean trust at the end of the run (its reading year)."""
    switch, seed = job
    base = load_scenario(BASE).with_values(SWITCHES[switch])
    warmed = CrmModel(base, rng=seed)
    reference = warmed.branch(base)
    reference.run(base.steps, record=False)
    level = reference.final_metrics()["trust_mean"]
    out = {}
    for policy in POLICIES:
        model = warmed.branch(base.with_values({"policy": policy}))
        model.run(base.steps, record=False)
        out[(switch, policy)] = model.final_metrics()["trust_mean"] - level
    return out


def main() -> None:
    jobs = [(switch, seed) for switch in SWITCHES for seed in SEEDS]
    results: dict[tuple[str, str], list[float]] = {}
    with ProcessPoolExecutor(2) as pool:
        for done, effects in enumerate(pool.map(_effects, jobs), 1):
            for key, value in effects.items():
                results.setdefault(key, []).append(value)
            print(f"{done} of {len(jobs)} runs", file=sys.stderr)
    print(f"Effect on mean trust at the reading year (calibrated baseline, {load_scenario(BASE).population.n_citizens:,} "
          f"citizens, {len(SEEDS)} paired seeds; mean and 95% interval), and the share of it each channel makes.\n")
    print("| policy | effect | without publication | without say | experience only | from publication | "
          "from having a say | from experience |")
    print("|---|---|---|---|---|---|---|---|")
    for policy in POLICIES:
        cells = []
        for switch in SWITCHES:
            values = np.array(results[(switch, policy)])
            half = stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
            cells.append((values.mean(), half))
        full, no_pub, no_say, exp_only = (c[0] for c in cells)
        shares = [(full - no_pub) / full, (full - no_say) / full, exp_only / full] if abs(full) > 1e-3 else [np.nan] * 3
        text = [f"{m:+.3f} ± {h:.3f}" for m, h in cells] + [f"{s:.0%}" if np.isfinite(s) else "n/a" for s in shares]
        print(f"| {policy} | " + " | ".join(text) + " |")


if __name__ == "__main__":
    main()
