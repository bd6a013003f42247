"""Each run's seed, from the experiment's master seed and the run's id.

The seed of run ``i`` is drawn from ``SeedSequence(master, spawn_key=(i,))``,
which is exactly the ``i``-th child of ``SeedSequence(master).spawn(n)``. So
run ``i`` can be re-run alone, on any machine, without spawning the others,
and two runs never share a stream. The seed is a 63-bit integer, small enough
for a scenario's ``seed`` field and a Parquet int64 column, and printable so a
person can pass it to ``crmsim run``.

Examples
--------
>>> run_seed(42, 0) == run_seed(42, 0)
True
>>> run_seed(42, 0) != run_seed(42, 1)
True
>>> import numpy as np
>>> child = np.random.SeedSequence(42).spawn(3)[2]
>>> run_seed(42, 2) == int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
True
"""

from __future__ import annotations

import numpy as np

__all__ = ["run_seed", "sampler_seed"]


def _to_int(seq: np.random.SeedSequence) -> int:
    return int(seq.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def run_seed(master_seed: int, run_id: int) -> int:
    """The seed of run ``run_id``: the ``run_id``-th spawned child of the master seed."""
    if run_id < 0:
        raise ValueError(f"run id must be at least 0, got {run_id}")
    return _to_int(np.random.SeedSequence(master_seed, spawn_key=(run_id,)))


def sampler_seed(master_seed: int) -> int:
    """The seed given to a design's sampler (Latin hypercube, Sobol, Morris).

    It comes from the master seed itself (no spawn key), so it never equals a
    run's seed stream.
    """
    return _to_int(np.random.SeedSequence(master_seed))
