"""Cost of one step: crmsim against Mesa's own ``virus_on_network`` example.

Run from the repository root::

    PYTHONPATH=. .venv/bin/python benchmarks/bench_step.py            # 10k, 100k, 1M, 10M (about 10 minutes)
    PYTHONPATH=. .venv/bin/python benchmarks/bench_step.py --quick    # tiny smoke run (seconds)
    PYTHONPATH=. .venv/bin/python benchmarks/bench_step.py --sizes 10000,100000
    PYTHONPATH=. .venv/bin/python benchmarks/bench_step.py --against HEAD   # and the committed code, same run

Each (model, size) is measured in a fresh Python process (this same script,
started with a hidden ``--worker`` flag), so that the peak resident memory
(``resource.getrusage(...).ru_maxrss``, which can only go up) belongs to that
one model. A worker imports everything, builds the model (timed: the build
time), runs ``--warmup`` steps untimed, then times ``--steps`` steps one by one
and reports the median. The cost per agent-step is that median divided by the
number of agents (citizens for crmsim, nodes for the virus model). All of this
is repeated ``--rounds`` times (default 3), the two models measured back to
back at each size, and the table keeps the median over rounds: this machine's
speed drifts by a fifth from minute to minute.

crmsim: ``CrmModel(parse_scenario({...}), rng=1)`` with ``n_citizens = N``,
``prescribers_per_1000 = 2``, ``warmup = 0`` and every
other value at its default (the default network). The warm-up is left out of
the build time because it is made of the very steps timed here: a run's
warm-up costs ``warmup`` times the step cost (208 weeks by default), without
the per-step metrics.

Mesa's ``VirusOnNetwork`` (``mesa/examples/basic/virus_on_network``) with
``num_nodes = N`` and ``avg_node_degree = 6``, other arguments at their
defaults. Its constructor would call ``nx.erdos_renyi_graph`` (quadratic in N)
and ``Network(graph, ...)`` with the default ``spring_layout`` (minutes at
10k), neither of which is what is being measured, so the benchmark swaps, in
the example's module namespace only (the mesa package is not edited), the
graph builder for the linear-time ``nx.fast_gnp_random_graph`` (same G(n, p)
law) and ``Network`` for ``Network(..., layout=None)``.

The virus model's cost per step follows its epidemic: from one infected node,
cheap steps (about 2 us per agent at 100k) give way to dear ones while most
nodes are infected and each checks its neighbours (up to about 16 us), then
fall again as nodes become resistant. With 2 warm-up steps, the 10 timed steps
(steps 3 to 12) span the outbreak, so the table shows the min..max per step
beside the median, and the ratio table adds a floor: Mesa's cheapest timed step
over crmsim's median. crmsim's cost per step is nearly flat. On a shared
machine, other processes add noise to every number: run it on a quiet one.

Cost metrics: a crmsim worker also times reading every cost metric
(``metrics.COST_METRICS``, :mod:`crmsim.model.costs`) once, as a recorded step
reads them, and reports it as a share of the step (target: at most 5% at
100,000 citizens). What the step itself spends on counting costs (a few vector
operations over the requests served) is in the step's time: ``--against`` a
revision before the costs shows it.

crmsim's floor: after its timed steps, a crmsim worker times, on the same
model, what no step can do without: the sparse products of the diffusion
(``from_citizens @ opinions``, ``from_prescribers @ (prescribers' knowledge
and trust)``, ``clients_mean @ trust``), the sort in ``knowledge_gini`` and
the trust percentiles of the metrics, each the median of 7 runs; the floor is
their sum, and ``step/floor`` the step's median over it.

Sizes above the cap on ``n_citizens`` (10 million, while the cap is 5
million) are built from the scenario at a small size copied with the size
asked for, unvalidated: a measurement of what the model costs there, not a way
to run such a scenario.

``--against REF`` measures, in the same run and interleaved, the crmsim of a
git revision (``git archive REF``, laid out under the ``crmsim`` namespace as
``pyproject.toml`` says, and put first on the workers' ``PYTHONPATH``), as
rows ``crmsim@REF``; the table then compares build, step and peak memory.

The table is printed and written as JSON (default
``benchmarks/results/bench_step.json``; ``--quick`` writes
``bench_step_quick.json`` unless ``--out`` is given). Targets are reported as
pass/fail, never asserted.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

# Targets (reported, not asserted).
TARGET_RATIO = 20.0  # crmsim at least this many times cheaper per agent-step than virus_on_network at 100k
TARGET_RATIO_SIZE = 100_000
TARGET_BUILD_S = 4.0  # 1M citizens built within this (about 9.6 s before issue 7)
TARGET_PEAK_MB = 4096.0  # peak memory at 1M citizens
TARGET_STEP_S = 1.0  # one step at 1M citizens
TARGET_FLOOR_RATIO = 1.3  # a step at 1M within this many times its floor (its sparse products and sorts)
TARGET_HUGE_BUILD_S = 60.0  # 10M citizens built within this
TARGET_HUGE_PEAK_GB = 12.0  # ... in this much memory (peak resident, 10^9 bytes)
TARGET_COST_SHARE = 0.05  # every cost metric (model.costs) read at 100k within this share of one step
BIG = 1_000_000
HUGE = 10_000_000

VIRUS_DEGREE = 6


def _maxrss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024.0 if sys.platform != "darwin" else rss / 2**20


# -- the two models, built inside a worker ---------------------------------------------------
def _build_crmsim(n: int, seed: int):
    from crmsim.model import CrmModel

    return CrmModel(_crmsim_scenario(n), rng=seed)


def _crmsim_scenario(n: int):
    """The benchmark's scenario; above the cap on n_citizens, copied unvalidated to size n (measuring only)."""
    from crmsim.model import parse_scenario
    from crmsim.model.params import PARAMS

    size = n if n <= PARAMS["n_citizens"].high else int(PARAMS["n_citizens"].low)
    scenario = parse_scenario({"warmup": 0, "population": {"n_citizens": size, "prescribers_per_1000": 2}},
                              "<benchmark>")
    if size != n:
        scenario = scenario.model_copy(update={"population": scenario.population.model_copy(
            update={"n_citizens": n})})
    return scenario


def _median_time(fn, repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _floor(model) -> dict[str, float]:
    """Seconds of what a step cannot do without, timed on ``model`` (see the module docstring)."""
    import numpy as np

    from crmsim.model.metrics import citizen_trust

    c = model.citizens
    knowledge32 = np.asarray(c.knowledge, dtype=np.float32)
    trust = citizen_trust(model)
    parts = {
        "from_citizens @ opinions": _median_time(lambda: model.from_citizens @ c.opinions),
        "clients_mean @ trust": _median_time(lambda: model.clients_mean @ c.trust),
        "sort in knowledge_gini": _median_time(lambda: np.sort(knowledge32)),
        "trust percentiles": _median_time(lambda: np.percentile(trust, [10, 90])),
    }
    if model.n_prescribers:
        prescribers = np.column_stack([model.prescriber_state.knowledge, model.clients_mean @ c.trust])
        parts["from_prescribers @ prescribers"] = _median_time(lambda: model.from_prescribers @ prescribers)
    return parts


def _cost_metrics_time(model) -> float | None:
    """Seconds to read every cost metric once, with a fresh memo as each recorded step does (median of 7).

    None for a revision that has no cost metrics (``--against`` an older one).
    """
    from crmsim.model import metrics

    cost_metrics = getattr(metrics, "COST_METRICS", None)
    if cost_metrics is None:
        return None

    def read_all() -> None:
        memo: dict = {}  # shared by the metrics of one step, as final_metrics shares it
        for metric in cost_metrics.values():
            metric(model, memo)

    return _median_time(read_all)


class _FastNx:
    """The networkx module as the virus example sees it, with a linear-time G(n, p) builder."""

    def __init__(self, nx_module, seed: int) -> None:
        self._nx = nx_module
        self._seed = seed

    def erdos_renyi_graph(self, n, p, seed=None, directed=False):
        return self._nx.fast_gnp_random_graph(n, p, seed=self._seed if seed is None else seed, directed=directed)

    def __getattr__(self, name: str):
        return getattr(self._nx, name)


def _build_virus(n: int, seed: int):
    import networkx as nx
    from mesa.examples.basic.virus_on_network import model as virus

    virus.nx = _FastNx(nx, seed)
    virus.Network = functools.partial(virus.Network, layout=None)
    return virus.VirusOnNetwork(num_nodes=n, avg_node_degree=VIRUS_DEGREE, rng=seed)


BUILDERS = {"crmsim": _build_crmsim, "virus_on_network": _build_virus}


def _worker(kind: str, n: int, warmup: int, steps: int, seed: int) -> dict[str, Any]:
    """Build one model, time its steps; runs in its own process."""
    import mesa  # noqa: F401 - import cost is not build time
    import networkx  # noqa: F401
    import numpy  # noqa: F401

    if kind.startswith("crmsim"):
        import crmsim.model.model  # noqa: F401
    else:
        from mesa.examples.basic.virus_on_network import model as _virus  # noqa: F401
    rss_imports = _maxrss_mb()
    start = time.perf_counter()
    m = BUILDERS[kind.split("@")[0]](n, seed)
    build_s = time.perf_counter() - start
    rss_built = _maxrss_mb()
    for _ in range(warmup):
        m.step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        m.step()
        times.append(time.perf_counter() - start)
    step_s = statistics.median(times)
    peak = _maxrss_mb()
    floor = _floor(m) if kind.startswith("crmsim") else {}
    cost_s = _cost_metrics_time(m) if kind.startswith("crmsim") else None
    return {
        "model": kind,
        "agents": n,
        "build_s": build_s,
        "warmup_steps": warmup,
        "timed_steps": steps,
        "step_median_s": step_s,
        "step_min_s": min(times),
        "step_max_s": max(times),
        "us_per_agent_step": step_s / n * 1e6,
        "us_per_agent_step_min": min(times) / n * 1e6,
        "us_per_agent_step_max": max(times) / n * 1e6,
        "step_times_s": times,
        "peak_mb": peak,
        "imports_mb": rss_imports,
        "built_mb": rss_built,
        "model_mb": peak - rss_imports,
        "floor_parts_s": floor,
        "floor_s": sum(floor.values()) if floor else None,
        "step_over_floor": step_s / sum(floor.values()) if floor else None,
        "cost_metrics_s": cost_s,
        "cost_over_step": cost_s / step_s if cost_s is not None else None,
    }


def _run_worker(kind: str, n: int, warmup: int, steps: int, seed: int, timeout: float,
                source: Path | None = None) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter (this script with ``--worker``); ``source``: another crmsim."""
    env = dict(os.environ)
    first = [str(source)] if source else []
    env["PYTHONPATH"] = os.pathsep.join(first + [str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                                                              if p])
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, str(n), str(warmup), str(steps),
           str(seed)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=timeout)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["(no error output)"]
        raise RuntimeError(f"{kind} at {n}: worker failed (exit {proc.returncode}): {tail[0]}")
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"{kind} at {n}: worker printed no result")


# -- summary ------------------------------------------------------------------------------------
def _merge_rounds(results: list[dict[str, Any]]) -> dict[str, Any]:
    """One row from several rounds of the same measurement: medians, and the extremes seen."""
    row = dict(results[0])
    for key in ("build_s", "step_median_s", "us_per_agent_step"):
        row[key] = statistics.median(r[key] for r in results)
    row["us_per_agent_step_min"] = min(r["us_per_agent_step_min"] for r in results)
    row["us_per_agent_step_max"] = max(r["us_per_agent_step_max"] for r in results)
    for key in ("peak_mb", "model_mb"):
        row[key] = max(r[key] for r in results)
    row["timed_steps"] = sum(r["timed_steps"] for r in results)
    row["rounds"] = len(results)
    row["step_times_s"] = [t for r in results for t in r["step_times_s"]]
    if results[0].get("floor_s") is not None:
        row["floor_s"] = statistics.median(r["floor_s"] for r in results)
        row["step_over_floor"] = statistics.median(r["step_over_floor"] for r in results)
        row["floor_parts_s"] = {k: statistics.median(r["floor_parts_s"][k] for r in results)
                                for k in results[0]["floor_parts_s"]}
    if results[0].get("cost_metrics_s") is not None:
        for key in ("cost_metrics_s", "cost_over_step"):
            row[key] = statistics.median(r[key] for r in results)
    return row


def _find(rows: list[dict[str, Any]], kind: str, n: int) -> dict[str, Any] | None:
    return next((r for r in rows if r["model"] == kind and r["agents"] == n), None)


def _ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    sizes = sorted({r["agents"] for r in rows if r["model"] == "virus_on_network"})
    for n in sizes:
        crm, virus = _find(rows, "crmsim", n), _find(rows, "virus_on_network", n)
        if crm and virus:
            out.append({
                "agents": n,
                "mesa_over_crmsim_per_agent_step": virus["us_per_agent_step"] / crm["us_per_agent_step"],
                # Mesa's cheapest timed step (before its outbreak) against crmsim's median: a floor.
                "mesa_over_crmsim_floor": virus["us_per_agent_step_min"] / crm["us_per_agent_step"],
                "crmsim_build_s": crm["build_s"],
                "mesa_build_s": virus["build_s"],
                "crmsim_peak_mb": crm["peak_mb"],
                "mesa_peak_mb": virus["peak_mb"],
            })
    return out


def _targets(rows: list[dict[str, Any]], ratios: list[dict[str, Any]], against: str | None = None
             ) -> list[dict[str, Any]]:
    """Each target's value, status, and (with ``--against``) the same measure of the other revision."""
    ratio = next((r for r in ratios if r["agents"] == TARGET_RATIO_SIZE), None)

    def target(name: str, key: str, n: int, op: str, limit: float, unit: str, scale: float = 1.0
               ) -> dict[str, Any]:
        def value(kind: str) -> float | None:
            row = _find(rows, kind, n)
            return None if row is None or row.get(key) is None else row[key] * scale

        now = value("crmsim")
        status = "n/a" if now is None else ("pass" if (now >= limit if op == ">=" else now <= limit) else "FAIL")
        return {"target": name, "value": now, "op": op, "limit": limit, "unit": unit, "status": status,
                "before": value(f"crmsim@{against}") if against else None}

    ratio_target = {"target": f"mesa/crmsim per agent-step at {TARGET_RATIO_SIZE:,}",
                    "value": ratio and ratio["mesa_over_crmsim_per_agent_step"], "op": ">=", "limit": TARGET_RATIO,
                    "unit": "x", "before": None}
    ratio_target["status"] = ("n/a" if ratio_target["value"] is None
                              else "pass" if ratio_target["value"] >= TARGET_RATIO else "FAIL")
    return [
        ratio_target,
        target(f"crmsim build at {BIG:,} citizens", "build_s", BIG, "<=", TARGET_BUILD_S, "s"),
        target(f"crmsim peak memory at {BIG:,} citizens", "peak_mb", BIG, "<=", TARGET_PEAK_MB, "MiB"),
        target(f"crmsim one step at {BIG:,} citizens", "step_median_s", BIG, "<=", TARGET_STEP_S, "s"),
        target(f"crmsim step over its floor at {BIG:,} citizens", "step_over_floor", BIG, "<=", TARGET_FLOOR_RATIO,
               "x"),
        target(f"crmsim cost metrics over one step at {TARGET_RATIO_SIZE:,}", "cost_over_step", TARGET_RATIO_SIZE,
               "<=", TARGET_COST_SHARE, "x"),
        target(f"crmsim build at {HUGE:,} citizens", "build_s", HUGE, "<=", TARGET_HUGE_BUILD_S, "s"),
        target(f"crmsim peak memory at {HUGE:,} citizens", "peak_mb", HUGE, "<=", TARGET_HUGE_PEAK_GB, "GB",
               scale=2**20 / 1e9),
    ]


def format_table(result: dict[str, Any]) -> str:
    """The printed table: one row per (model, size), crmsim's floor, then ratios, then targets."""
    lines = [
        "median over rounds of each run's median step; min..max: cheapest and dearest step seen",
        f"{'model':<18} {'agents':>10} {'build s':>9} {'step s':>9} {'us/agent-step':>14} {'min..max':>15} "
        f"{'peak MiB':>9} {'model MiB':>9} {'steps':>5}",
    ]
    for r in result["rows"]:
        spread = f"{r['us_per_agent_step_min']:.2f}..{r['us_per_agent_step_max']:.2f}"
        lines.append(
            f"{r['model']:<18} {r['agents']:>10,} {r['build_s']:>9.3f} {r['step_median_s']:>9.4f} "
            f"{r['us_per_agent_step']:>14.3f} {spread:>15} {r['peak_mb']:>9.0f} {r['model_mb']:>9.0f} "
            f"{r['timed_steps']:>5}"
        )
    priced = [r for r in result["rows"] if r.get("cost_metrics_s") is not None]
    if priced:
        lines += ["", "reading every cost metric once (model.costs), against one step"]
        lines += [f"{r['model']:<18} {r['agents']:>10,} {r['cost_metrics_s'] * 1e3:>9.2f} ms "
                  f"{r['cost_over_step']:>8.2%} of a step" for r in priced]
    floors = [r for r in result["rows"] if r.get("floor_s")]
    if floors:
        names = list(floors[0]["floor_parts_s"])
        lines.append("")
        lines.append("crmsim's floor: what a step cannot do without, timed on the same model (ms)")
        lines.append(f"{'model':<18} {'agents':>10} {'step ms':>9} {'floor ms':>9} {'step/floor':>10}   parts")
        for r in floors:
            parts = ", ".join(f"{k} {r['floor_parts_s'][k] * 1e3:.1f}" for k in names if k in r["floor_parts_s"])
            lines.append(f"{r['model']:<18} {r['agents']:>10,} {r['step_median_s'] * 1e3:>9.1f} "
                         f"{r['floor_s'] * 1e3:>9.1f} {r['step_over_floor']:>9.2f}x   {parts}")
    against = result.get("against")
    if against:
        lines.append("")
        lines.append(f"against {against} (measured in the same run, interleaved): before -> now")
        for r in result["rows"]:
            old = _find(result["rows"], f"crmsim@{against}", r["agents"]) if r["model"] == "crmsim" else None
            if old:
                lines.append(f"  {r['agents']:>10,} citizens: build {old['build_s']:.2f} -> {r['build_s']:.2f} s "
                             f"({old['build_s'] / r['build_s']:.1f}x), step {old['step_median_s'] * 1e3:.1f} -> "
                             f"{r['step_median_s'] * 1e3:.1f} ms ({old['step_median_s'] / r['step_median_s']:.2f}x), "
                             f"peak {old['peak_mb']:.0f} -> {r['peak_mb']:.0f} MiB")
    if result["ratios"]:
        lines.append("")
        lines.append(f"{'agents':>10} {'mesa/crmsim':>12} {'floor':>7} {'build s crmsim':>15} {'build s mesa':>13} "
                     f"{'peak MiB crmsim':>16} {'peak MiB mesa':>14}")
        for r in result["ratios"]:
            lines.append(f"{r['agents']:>10,} {r['mesa_over_crmsim_per_agent_step']:>11.1f}x "
                         f"{r['mesa_over_crmsim_floor']:>6.1f}x "
                         f"{r['crmsim_build_s']:>15.3f} {r['mesa_build_s']:>13.3f} "
                         f"{r['crmsim_peak_mb']:>16.0f} {r['mesa_peak_mb']:>14.0f}")
        lines.append("(mesa/crmsim: ratio of medians; floor: Mesa's cheapest timed step over crmsim's median)")
    lines.append("")
    lines.append("targets (reported, not asserted):")
    for t in result["targets"]:
        value = "not measured" if t["value"] is None else f"{t['value']:.3g} {t['unit']}"
        before = f"; {against}: {t['before']:.3g} {t['unit']}" if t.get("before") is not None else ""
        lines.append(f"  [{t['status']:>4}] {t['target']}: {value} (target {t['op']} {t['limit']:g} {t['unit']}"
                     f"{before})")
    return "\n".join(lines)


def _checkout(ref: str, into: Path) -> Path:
    """The crmsim of git revision ``ref``, importable from the returned folder (put it first on PYTHONPATH).

    ``git archive`` extracts the revision; the folders its ``pyproject.toml``
    installs under the ``crmsim`` namespace (``[tool.setuptools.package-dir]``)
    are linked where an installed copy would have them.
    """
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", ref], capture_output=True)
    if archive.returncode != 0:
        raise RuntimeError(f"--against {ref}: git archive failed: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    package_dir = tomllib.loads((into / "pyproject.toml").read_text(encoding="utf-8")).get(
        "tool", {}).get("setuptools", {}).get("package-dir", {})
    for name, folder in package_dir.items():
        link = into.joinpath(*name.split("."))
        if not link.exists():
            link.symlink_to(into / folder, target_is_directory=True)
    return into


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s.replace("_", "")) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 10000,100000; got {text!r}") from None
    if not sizes or min(sizes) < 10:
        raise argparse.ArgumentTypeError(f"sizes must be whole numbers of at least 10; got {text!r}")
    return sizes


def _machine() -> dict[str, Any]:
    import mesa
    import networkx
    import numpy
    import scipy

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "mesa": mesa.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "networkx": networkx.__version__,
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        kind, n, warmup, steps, seed = argv[1], int(argv[2]), int(argv[3]), int(argv[4]), int(argv[5])
        print("RESULT " + json.dumps(_worker(kind, n, warmup, steps, seed)), flush=True)
        return 0
    parser = argparse.ArgumentParser(prog="bench_step.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, few steps: a smoke test, not a benchmark")
    parser.add_argument("--sizes", type=_sizes,
                        help="crmsim sizes, comma-separated (default 10000,100000,1000000,10000000)")
    parser.add_argument("--virus-sizes", type=_sizes,
                        help="virus_on_network sizes (default: the --sizes up to 100000)")
    parser.add_argument("--steps", type=int,
                        help="timed steps per size (default 10; 5 at 1M and above, 3 at 10M and above; quick: 3)")
    parser.add_argument("--warmup", type=int, help="untimed steps first (default 2; quick: 1)")
    parser.add_argument("--rounds", type=int, help="measure everything this many times, interleaved, and keep "
                        "the median: the machine's speed drifts (default 3; quick: 1)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed per measurement")
    parser.add_argument("--out", type=Path, help="JSON output (default benchmarks/results/bench_step.json)")
    parser.add_argument("--against", metavar="REF", help="also measure the crmsim of this git revision (e.g. HEAD), "
                        "in the same run, as rows crmsim@REF")
    args = parser.parse_args(argv)

    if args.quick:
        sizes = args.sizes or [2000]
        warmup = 1 if args.warmup is None else args.warmup
        out = args.out or RESULTS / "bench_step_quick.json"
    else:
        sizes = args.sizes or [10_000, 100_000, BIG, HUGE]
        warmup = 2 if args.warmup is None else args.warmup
        out = args.out or RESULTS / "bench_step.json"
    virus_sizes = args.virus_sizes or [n for n in sizes if n <= 100_000]

    def steps_for(n: int) -> int:
        if args.steps is not None:
            return args.steps
        return 3 if args.quick or n >= HUGE else (5 if n >= BIG else 10)

    rounds = args.rounds or (1 if args.quick else 3)
    crmsims = ["crmsim"] + ([f"crmsim@{args.against}"] if args.against else [])
    # Each size of every model back to back, round after round, so that a drift
    # in the machine's speed touches both sides of a ratio alike.
    jobs = [(kind, n) for n in sorted(set(sizes) | set(virus_sizes))
            for kind, chosen in [*((k, sizes) for k in crmsims), ("virus_on_network", virus_sizes)] if n in chosen]
    measured: dict[tuple[str, int], list[dict[str, Any]]] = {job: [] for job in jobs}
    with tempfile.TemporaryDirectory(prefix="bench_step_") as tmp:
        try:
            source = _checkout(args.against, Path(tmp)) if args.against else None
        except (RuntimeError, subprocess.CalledProcessError, OSError) as err:
            print(f"bench_step.py: {err}", file=sys.stderr)
            return 1
        for round_no in range(1, rounds + 1):
            for kind, n in jobs:
                print(f"round {round_no}/{rounds}: measuring {kind} at {n:,} agents ...", file=sys.stderr, flush=True)
                try:
                    measured[(kind, n)].append(_run_worker(kind, n, warmup, steps_for(n), args.seed, args.timeout,
                                                           source if "@" in kind else None))
                except (RuntimeError, subprocess.TimeoutExpired) as err:
                    print(f"bench_step.py: {err}", file=sys.stderr)
                    return 1
    rows = [_merge_rounds(measured[job]) for job in jobs]
    ratios = _ratios(rows)
    result = {
        "quick": bool(args.quick),
        "seed": args.seed,
        "crmsim_setup": "CrmModel(parse_scenario({'warmup': 0, 'population': {'n_citizens': N, 'prescribers_per_1000': 2}}), "
                        "rng=seed)",
        "virus_setup": f"VirusOnNetwork(num_nodes=N, avg_node_degree={VIRUS_DEGREE}) with fast_gnp_random_graph "
                       "and Network(layout=None)",
        "machine": _machine(),
        "against": args.against,
        "rows": rows,
        "ratios": ratios,
    }
    result["targets"] = _targets(rows, ratios, args.against)
    print(format_table(result))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
