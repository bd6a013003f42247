"""How big a sweep may get: runs, the memory its design takes, and worker processes.

A sweep builds its whole design (every design point's values) in memory
before the first run, and a design's size grows fast: a full factorial
multiplies the factors' levels, Sobol multiplies its samples by the number of
factors plus two. A typo (one zero too many) must not take the machine down
minutes later, so an experiment file is refused when it is read (``crmsim
validate`` says so too) if it asks for more than:

- :data:`MAX_RUNS` runs (design points x replications): a million runs of
  half a second each are six days on 2 cores, or a few hours on a cluster;
- :data:`MAX_DESIGN_BYTES` to build the design, estimated by
  :func:`design_bytes` (measured: about 80 bytes per value plus 150 per
  point, for the point dicts, the sampler's matrix and design.parquet's table).

Worker processes: each holds a model (about 190 MB for the shipped
experiments), and more processes than cores only share the same cores, so
:func:`cap_workers` lowers a request above the usable cores to that number,
with a warning.

These are the only places the limits are written.

Examples
--------
>>> too_big(points=92_274_688, n_factors=9, replications=1) is not None
True
>>> too_big(points=450, n_factors=1, replications=1) is None
True
"""

from __future__ import annotations

__all__ = ["MAX_RUNS", "MAX_DESIGN_BYTES", "design_bytes", "too_big", "human_bytes", "cap_workers"]

MAX_RUNS = 1_000_000
MAX_DESIGN_BYTES = 2 * 1000**3
BYTES_PER_POINT = 150
BYTES_PER_VALUE = 80


def design_bytes(points: int, n_factors: int) -> int:
    """About how many bytes building a design of ``points`` points over ``n_factors`` factors takes."""
    return points * (BYTES_PER_POINT + BYTES_PER_VALUE * max(1, n_factors))


def human_bytes(n: int) -> str:
    """``n`` bytes for a person.

    >>> human_bytes(310_000_000), human_bytes(2_000_000_000), human_bytes(3_900 * 10**15)
    ('310 MB', '2.0 GB', '3,900,000 TB')
    """
    for unit, size in (("TB", 1000**4), ("GB", 1000**3), ("MB", 1000**2), ("kB", 1000)):
        if n >= size:
            value = n / size
            return f"{value:,.0f} {unit}" if value >= 10 or unit == "kB" else f"{value:.1f} {unit}"
    return f"{n} bytes"


def too_big(points: int, n_factors: int, replications: int) -> str | None:
    """Why a design of ``points`` points x ``replications`` cannot be swept here, or None if it can.

    The text says the runs and the memory it would reach and what is allowed,
    e.g. '92,274,688 runs (about 80 GB to build the design); allowed: ...'.
    """
    runs = points * replications
    memory = design_bytes(points, n_factors)
    if runs <= MAX_RUNS and memory <= MAX_DESIGN_BYTES:
        return None
    return (f"{runs:,} runs (about {human_bytes(memory)} to build the design); allowed: at most {MAX_RUNS:,} runs "
            f"(design points x replications) and about {human_bytes(MAX_DESIGN_BYTES)} of design")


def cap_workers(requested: int | None, cores: int) -> tuple[int | None, str | None]:
    """``requested`` worker processes, lowered to ``cores`` if above; and a warning when lowered.

    >>> cap_workers(16, 2)
    (2, '--workers 16: only 2 cores are usable here; using 2 worker processes')
    >>> cap_workers(None, 2)
    (None, None)
    """
    if requested is None or requested <= cores:
        return requested, None
    return cores, (f"--workers {requested}: only {cores} core{'s are' if cores != 1 else ' is'} usable here; "
                   f"using {cores} worker process{'es' if cores != 1 else ''}")
