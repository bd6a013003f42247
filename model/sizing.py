"""How much memory a model takes: an estimate of a scenario's peak, from measured costs.

Meant for the command line, to refuse a scenario that would not fit in this
machine's memory before building it, rather than letting the kernel kill the
run minutes in (:func:`estimate_bytes` against :func:`physical_memory_bytes`).

What the memory goes to
-----------------------
A model's memory grows with its citizens and with the ties between them
(``ties``: about ``n_citizens * mean_degree / 2``). The peak comes either
while the network is wired at build time (the adjacency matrix and the
influence matrix, both in CSR form, exist together for a moment), or during a
step (a step's temporaries over the resident state). Measured by
``benchmarks/bench_memory.py`` (``CrmModel`` with ``warmup = 0`` and
2 prescribers per 1000 citizens, then 3 steps; Linux's ``VmHWM``, reset between
the build and the steps; this machine: numpy 2.5, scipy 1.18, glibc 2.36), in
MiB over the memory of a Python process that has imported crmsim (153 MiB)::

      citizens  degree  topology     resident  build pk  step pk  peak/citizen  estimate/peak  build s
        20,000     6    communities       14        15       15        771 B          1.03          0.0
       400,000     6    communities      216       225      224        590 B          1.14          0.4
       400,000    20    communities      340       544      347       1425 B          1.02          1.3
     1,000,000     2    communities      356       356      451        473 B          1.06          0.7
     1,000,000     6    communities      443       555      538        582 B          1.10          1.1
     1,000,000    20    communities      660      1246      755       1307 B          1.06          3.2
     1,000,000    40    communities     1042      2238     1137       2346 B          1.04          5.5
     1,000,000     6    small_world      393       553      489        580 B          1.11          0.9
     1,000,000     6    scale_free       390       538      508        564 B          1.13          1.5
     3,000,000     6    communities     1064      1531     1373        535 B          1.09          5.1
     3,000,000    20    communities     1865      3614     2204       1263 B          1.05         12.7
    10,000,000     6    communities     3435      4962     4519        520 B          1.08         24.8
    20,000,000     6    communities     6813      9918     8956        520 B          1.07         45.0

Per citizen, the resident state is about 240 bytes (the citizen arrays: 171,
of which the opinions matrix is 40; role weights, quartiles and the like: 70)
plus 40 a tie (its two ends, 16, and its two entries in the influence
matrix, 24). The build peaks at about 217 bytes a citizen plus 105 a tie; a
step at about 355 a citizen plus 40 a tie. Each of a prescriber's drawn ties
costs about what a tie does, plus 24 bytes kept.

The estimate is the base plus the higher of the two peaks, with those
coefficients, plus what the C heap keeps: numpy's arrays of up to 32 MiB
come from it (glibc maps only larger ones), and it keeps some freed memory
resident: up to 70 MiB was seen, most when many arrays are a little under
32 MiB (400,000 citizens with 10 ties each); so 160 bytes a citizen, at most
96 MiB. Above a few million citizens every large array is mapped, and
returned when freed. On every case above the estimate is 2 to 14 percent
above the measured peak. It is for one model in one process; a sweep running
``k`` workers needs ``k`` times as much.

A sweep worker whose runs share a warm-up (``experiments.execute.run_chunk``)
holds the warmed model while a branch of it (a deep copy) runs: ``copies=2``
adds one resident state (240 bytes a citizen, 40 a tie, 24 a prescriber's
draw) to the step's peak. ``bench_memory.py --branch`` measures it.

Examples
--------
>>> round(estimate_bytes(10_000_000, 6, 20_000) / 2**30, 1)  # GiB
5.4
"""

from __future__ import annotations

import os

from crmsim.model.params import PARAMS

__all__ = ["estimate_bytes", "physical_memory_bytes", "BASE_BYTES", "SIZE_FIELDS", "memory_problem"]

# The parameters the estimate reads: an experiment that varies one of them is checked at its largest.
SIZE_FIELDS = ("n_citizens", "mean_degree", "prescribers_per_1000", "prescriber_ties", "funded_ties")

# A Python process with crmsim imported, before any model: 153 MiB measured in one virtual environment,
# 193 MiB in a fresh one with the same packages (shared libraries mapped differently); the larger is covered.
BASE_BYTES = 200 * 2**20

# Measured bytes (see the module docstring): at the build's peak, and at a step's.
BUILD_PER_CITIZEN, BUILD_PER_TIE, BUILD_PER_DRAW = 217, 105, 130
STEP_PER_CITIZEN, STEP_PER_TIE, STEP_PER_DRAW = 355, 40, 50
# The resident state of one model, kept while a branch of it runs.
RESIDENT_PER_CITIZEN, RESIDENT_PER_TIE, RESIDENT_PER_DRAW = 240, 40, 24
# The C heap's share: arrays under glibc's mmap threshold (which grows to 32 MiB) come from
# the heap, which keeps some freed memory resident (seen: up to 70 MiB, when many arrays are
# a little under 32 MiB); it shows below a few million citizens.
HEAP_PER_CITIZEN, HEAP_MAX = 160, 96 * 2**20


def prescriber_count(per_1000: float, n_citizens: int) -> int:
    """How many prescribers a model of ``n_citizens`` has at ``per_1000`` per 1000 citizens (rounded).

    >>> prescriber_count(20, 1000), prescriber_count(20, 100_000), prescriber_count(20, 120)
    (20, 2000, 2)
    """
    return int(round(per_1000 * n_citizens / 1000))


def estimate_bytes(n_citizens: int, mean_degree: float, n_prescribers: int, *,
                   prescriber_ties: int = PARAMS["prescriber_ties"].default,
                   funded_ties: int = PARAMS["funded_ties"].default,
                   topology: str = PARAMS["topology"].default, copies: int = 1) -> int:
    """Peak resident memory, in bytes, of a process that builds one such model and runs it.

    ``mean_degree`` is the scenario's (for ``topology = 'file'``, the file's:
    twice its ties over its nodes); a complete network has ``n_citizens - 1``
    whatever it says. Every prescriber is counted as drawing
    ``max(prescriber_ties, funded_ties)`` citizens, as an institutional one
    does (informal ones draw ``prescriber_ties``): a slight overestimate.
    ``copies=2``: the model is kept while a branch of it runs (a sweep worker).
    """
    ties = n_citizens * ((n_citizens - 1) if topology == "complete" else mean_degree) / 2
    draws = n_prescribers * min(max(prescriber_ties, funded_ties), n_citizens)
    build = BUILD_PER_CITIZEN * n_citizens + BUILD_PER_TIE * ties + BUILD_PER_DRAW * draws
    step = STEP_PER_CITIZEN * n_citizens + STEP_PER_TIE * ties + STEP_PER_DRAW * draws
    step += (copies - 1) * (RESIDENT_PER_CITIZEN * n_citizens + RESIDENT_PER_TIE * ties + RESIDENT_PER_DRAW * draws)
    return int(BASE_BYTES + min(HEAP_PER_CITIZEN * n_citizens, HEAP_MAX) + max(build, step))


def physical_memory_bytes() -> int:
    """This machine's physical memory, in bytes (what :func:`estimate_bytes` is compared with)."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def memory_problem(values: dict, *, mean_degree: float | None = None, available: int | None = None,
                   copies: int = 1) -> str | None:
    """Why a model with these parameter ``values`` would not fit in memory here, or None if it would.

    ``values`` holds at least :data:`SIZE_FIELDS` and ``topology`` (a
    scenario's ``flat()``). ``mean_degree`` overrides the scenario's, for a
    network file (twice its ties over its nodes). The text names the field to
    lower, the estimate and the machine's memory, for a one-line error.
    ``copies=2`` for a sweep worker, which keeps a warmed model while a branch runs.

    >>> memory_problem({"n_citizens": 1000, "mean_degree": 6, "prescribers_per_1000": 20, "prescriber_ties": 25,
    ...                 "funded_ties": 75, "topology": "communities"}) is None
    True
    """
    degree = values["mean_degree"] if mean_degree is None else mean_degree
    need = estimate_bytes(values["n_citizens"], degree, prescriber_count(values["prescribers_per_1000"],
                                                                         values["n_citizens"]),
                          prescriber_ties=values["prescriber_ties"], funded_ties=values["funded_ties"],
                          topology=values["topology"], copies=copies)
    have = physical_memory_bytes() if available is None else available
    if need <= have:
        return None
    return (f"population.n_citizens: {values['n_citizens']:,} citizens with mean degree {degree:g} would need about "
            f"{need / 2**30:,.1f} GiB, and this machine has {have / 2**30:,.1f} GiB; allowed: a scenario that fits "
            f"(fewer citizens, or a lower network.mean_degree)")
