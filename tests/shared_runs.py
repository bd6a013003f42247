"""Runs that several tests read, made once per suite and shared by its pytest-xdist workers, seed by seed.

Each (name, seed) is a file in the suite's shared temporary folder (``FOLDER``, set by tests/conftest.py on
xdist workers). A worker takes each seed no other worker is computing (a file lock tried without waiting),
reads those another has finished, and waits only for the last ones still running elsewhere: two workers that
need the same runs at once split them rather than each running all of them, and a worker that needs them
later reads them. A run is the same on any worker (one seed, one Generator), so where it ran changes nothing.
Without xdist ``FOLDER`` is None and everything is computed in place: a folder kept across suites would serve
the runs of an older model.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from filelock import FileLock, Timeout

T = TypeVar("T")
FOLDER: Path | None = None


def per_seed(name: str, seeds: Iterable[int], compute: Callable[[int], T]) -> list[T]:
    """``compute(seed)`` for each seed, in the seeds' order; ``name`` must say everything the runs depend on
    but the seed (a hash of the inputs is fine)."""
    seeds = list(seeds)
    if FOLDER is None:
        return [compute(seed) for seed in seeds]
    paths = {seed: FOLDER / f"{name}_seed{seed}.pickle" for seed in seeds}
    while pending := [seed for seed in seeds if not paths[seed].exists()]:
        for seed in pending:
            try:
                with FileLock(f"{paths[seed]}.lock", timeout=0):
                    if not paths[seed].exists():
                        partial = paths[seed].with_suffix(".partial")
                        partial.write_bytes(pickle.dumps(compute(seed)))
                        partial.replace(paths[seed])  # whole or absent: a reader never sees half a file
            except Timeout:
                continue  # another worker is computing it
        if any(not paths[seed].exists() for seed in seeds):
            time.sleep(0.2)
    return [pickle.loads(paths[seed].read_bytes()) for seed in seeds]
