"""What digital-first does to the offline and the least skilled, and what funded mediation gives back (issue 36).

In the EU-average calibrated baseline and in two contrasting countries
(Denmark: online by default, almost nobody offline; Poland: fewer skills, 9%
never online, less online), each policy's effect at the verdicts' reading
year, on paired seeds: ``digital_first``, ``funded_prescribers``, and both
together (what funded mediation gives back once counters are closed). Run it
from the repository's root:

    .venv/bin/python docs/analyses/divide_by_country.py > docs/analyses/divide_by_country.md

(about 10 minutes on 2 cores at 10,000 citizens, 6 seeds).
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from scipy import stats

from crmsim.model import CrmModel
from crmsim.model.countries import load_country
from crmsim.model.scenario import load_scenario

BASE = "scenarios/calibrated_baseline.toml"
COUNTRIES = ["eu", "dk", "pl"]
VARIANTS = {"digital-first": ["digital_first"], "funded prescribers": ["funded_prescribers"],
            "both": ["digital_first", "funded_prescribers"]}
METRICS = {"non_take_up_offline": "non-take-up, offline", "non_take_up_bottom": "non-take-up, least skilled quarter",
           "non_take_up": "non-take-up, all", "trust_mean": "mean trust", "redress_success": "redress success"}
SEEDS = range(6)


def _run(job: tuple[str, int]) -> dict[str, dict[str, float]]:
    """One country and seed: the baseline's level and each variant's effect on each metric."""
    country, seed = job
    base = load_scenario(BASE).with_values({"country": country})
    warmed = CrmModel(base, rng=seed)
    reference = warmed.branch(base)
    reference.run(base.steps, record=False)
    level = reference.final_metrics()
    out = {"baseline": {m: level[m] for m in METRICS}}
    for name, policies in VARIANTS.items():
        model = warmed.branch(base.with_values({"policy": policies}))
        model.run(base.steps, record=False)
        final = model.final_metrics()
        out[name] = {m: final[m] - level[m] for m in METRICS}
    return out


def main() -> None:
    jobs = [(country, seed) for country in COUNTRIES for seed in SEEDS]
    with ProcessPoolExecutor(2) as pool:
        results = []
        for done, result in enumerate(pool.map(_run, jobs), 1):
            results.append(result)
            print(f"{done} of {len(jobs)} runs", file=sys.stderr)
    print(f"Calibrated baseline in each country ({load_scenario(BASE).population.n_citizens:,} citizens, {len(SEEDS)} "
          "paired seeds, the reading year): the baseline's level, then each policy's effect (mean, 95% interval; "
          "shares as points).\n")
    print("| country | metric | baseline | " + " | ".join(VARIANTS) + " |")
    print("|---|---|---|" + "---|" * len(VARIANTS))
    for i, country in enumerate(COUNTRIES):
        mine = results[i * len(SEEDS):(i + 1) * len(SEEDS)]
        for metric, label in METRICS.items():
            cells = [f"{np.nanmean([r['baseline'][metric] for r in mine]):.3f}"]
            for name in VARIANTS:
                values = np.array([r[name][metric] for r in mine]) * 100
                half = stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
                cells.append(f"{values.mean():+.1f} ± {half:.1f}")
            print(f"| {load_country(country).name} | {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
