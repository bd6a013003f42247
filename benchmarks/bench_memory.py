"""Memory of a model: bytes per citizen and per tie, at build and at peak during steps.

Run from the repository root::

    .venv/bin/python benchmarks/bench_memory.py                 # the table behind model/sizing.py (5 minutes, 11 GB)
    .venv/bin/python benchmarks/bench_memory.py --quick         # small sizes (seconds)
    .venv/bin/python benchmarks/bench_memory.py --cases 1000000:6:communities,1000000:20:small_world
    .venv/bin/python benchmarks/bench_memory.py --branch        # a sweep worker: the warmed model and a branch

Each case (citizens, mean degree, topology) is built in a fresh Python process
(this script with a hidden ``--worker`` flag): ``CrmModel`` with ``warmup =
0`` and 2 prescribers per 1000 citizens (the step benchmark's setup), then
``--steps`` steps. Memory is read from Linux's ``/proc/self/status``:
``VmRSS`` (resident now) and ``VmHWM`` (the resident peak), which writing 5 to
``/proc/self/clear_refs`` resets; so the peak of the build and the peak during
the steps are measured apart, each over the resident memory after imports
(``base``). Elsewhere the two peaks are one, ``ru_maxrss``.

With ``--branch``, the steps are run by a branch of the built model
(``CrmModel.branch``, a deep copy) while the model itself is kept, as a sweep
worker does when runs share a warm-up; the step peak then holds both, and the
estimate is ``estimate_bytes(..., copies=2)``.

Sizes above the cap on ``n_citizens`` (``PARAMS["n_citizens"].high``) are
measured by building the scenario at a small size and then copying it with the
size asked for, unvalidated: a measurement, not a way to run such a scenario.

The table compares each measured peak with ``model.sizing.estimate_bytes`` and
is written as JSON (default ``benchmarks/results/bench_memory.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
MIB = 2**20

DEFAULT_CASES = ("20000:6:communities,400000:6:communities,400000:20:communities,1000000:2:communities,"
                 "1000000:6:communities,1000000:20:communities,1000000:40:communities,1000000:6:small_world,"
                 "1000000:6:scale_free,3000000:6:communities,3000000:20:communities,10000000:6:communities,"
                 "20000000:6:communities")
QUICK_CASES = "20000:6:communities,200000:6:communities,200000:20:communities"


def _status() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in bytes (Linux), or ru_maxrss for both elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            found = {k: int(v.split()[0]) * 1024 for k, v in (line.split(":", 1) for line in handle)
                     if k in ("VmRSS", "VmHWM")}
        if len(found) == 2:
            return found
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    return {"VmRSS": peak, "VmHWM": peak}


def _reset_peak() -> bool:
    """Reset VmHWM to the resident memory now (Linux >= 4.0); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def scenario_at(n: int, degree: int, topology: str):
    """The benchmark's scenario at ``n`` citizens (beyond the cap: copied unvalidated, for measuring only)."""
    from crmsim.model import parse_scenario
    from crmsim.model.params import PARAMS

    size = n if n <= PARAMS["n_citizens"].high else 1000
    scenario = parse_scenario({"warmup": 0, "population": {"n_citizens": size, "prescribers_per_1000": 2},
                               "network": {"topology": topology, "mean_degree": degree}}, "<benchmark>")
    if size != n:
        scenario = scenario.model_copy(update={"population": scenario.population.model_copy(
            update={"n_citizens": n})})
    return scenario


def _worker(n: int, degree: int, topology: str, steps: int, seed: int, branch: bool) -> dict[str, Any]:
    import crmsim.model.model  # noqa: F401 - imports are the base, not the model
    from crmsim.model import CrmModel

    scenario = scenario_at(n, degree, topology)
    base = _status()["VmRSS"]
    separate = _reset_peak()
    start = time.perf_counter()
    model = CrmModel(scenario, rng=seed)
    build_s = time.perf_counter() - start
    built = _status()
    if separate:
        _reset_peak()
    runner = model.branch(scenario) if branch else model  # with --branch, `model` stays resident meanwhile
    for _ in range(steps):
        runner.step()
    stepped = _status()
    ties = int(model.citizen_edges[0].size)
    prescriber_draws = int(model.prescriber_ties[0].size)
    return {
        "citizens": n, "mean_degree": degree, "topology": topology, "ties": ties,
        "prescribers": model.n_prescribers, "prescriber_draws": prescriber_draws, "steps": steps,
        "build_s": build_s, "base_bytes": base, "resident_bytes": built["VmRSS"],
        "build_peak_bytes": built["VmHWM"], "step_peak_bytes": stepped["VmHWM"] if separate else None,
        "peaks_apart": separate, "copies": 2 if branch else 1,
    }


def _run_worker(case: tuple[int, int, str], steps: int, seed: int, branch: bool) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    n, degree, topology = case
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(n), str(degree), topology, str(steps),
           str(seed), str(int(branch))]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["(no error output)"]
        raise RuntimeError(f"{case}: worker failed (exit {proc.returncode}): {tail[0]}")
    line = next(line for line in proc.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def _cases(text: str) -> list[tuple[int, int, str]]:
    try:
        out = []
        for item in text.split(","):
            n, degree, topology = item.split(":")
            out.append((int(n.replace("_", "")), int(degree), topology))
        return out
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected cases like 1000000:6:communities; got {text!r}") from None


def format_table(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'citizens':>11} {'degree':>6} {'topology':<12} {'build s':>8} {'base MiB':>9} {'resident':>9} "
             f"{'build pk':>9} {'step pk':>9} {'B/cit res':>9} {'B/cit pk':>9} {'estimate':>9} {'est/meas':>8}"]
    for r in rows:
        peak = max(r["build_peak_bytes"], r["step_peak_bytes"] or 0)
        lines.append(
            f"{r['citizens']:>11,} {r['mean_degree']:>6} {r['topology']:<12} {r['build_s']:>8.2f} "
            f"{r['base_bytes'] / MIB:>9.0f} {r['resident_bytes'] / MIB:>9.0f} {r['build_peak_bytes'] / MIB:>9.0f} "
            f"{(r['step_peak_bytes'] or 0) / MIB:>9.0f} "
            f"{(r['resident_bytes'] - r['base_bytes']) / r['citizens']:>9.0f} "
            f"{(peak - r['base_bytes']) / r['citizens']:>9.0f} {r['estimate_bytes'] / MIB:>9.0f} "
            f"{r['estimate_bytes'] / peak:>8.3f}")
    lines.append("(MiB unless said; B/cit: bytes per citizen over the base, resident after the build and at the "
                 "higher peak; estimate: model.sizing.estimate_bytes, whole process)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        n, degree, topology, steps, seed = int(argv[1]), int(argv[2]), argv[3], int(argv[4]), int(argv[5])
        print("RESULT " + json.dumps(_worker(n, degree, topology, steps, seed, argv[6] == "1")), flush=True)
        return 0
    parser = argparse.ArgumentParser(prog="bench_memory.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument("--cases", type=_cases, help=f"citizens:degree:topology,... (default {DEFAULT_CASES})")
    parser.add_argument("--steps", type=int, default=3, help="steps after the build (default 3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--branch", action="store_true",
                        help="step a branch while the built model is kept, as a sweep worker sharing a warm-up does")
    parser.add_argument("--out", type=Path, help="JSON output (default benchmarks/results/bench_memory.json)")
    args = parser.parse_args(argv)
    cases = args.cases or _cases(QUICK_CASES if args.quick else DEFAULT_CASES)
    name = "bench_memory" + ("_branch" if args.branch else "") + ("_quick" if args.quick else "")
    out = args.out or RESULTS / f"{name}.json"

    from crmsim.model.sizing import estimate_bytes

    rows = []
    for case in cases:
        print(f"measuring {case[0]:,} citizens, degree {case[1]}, {case[2]} ...", file=sys.stderr, flush=True)
        try:
            row = _run_worker(case, args.steps, args.seed, args.branch)
        except RuntimeError as err:
            print(f"bench_memory.py: {err}", file=sys.stderr)
            return 1
        row["estimate_bytes"] = estimate_bytes(row["citizens"], row["mean_degree"], row["prescribers"],
                                               topology=row["topology"], copies=row["copies"])
        rows.append(row)
    print(format_table(rows))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows": rows}, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
