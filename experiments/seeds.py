"""Each run's seed, from the experiment's master seed and the run's replicate.

Common random numbers: the seed of every run of replicate ``r`` is drawn from
``SeedSequence(master, spawn_key=(r,))``, exactly the ``r``-th child of
``SeedSequence(master).spawn(n)``, whatever its design point. Runs with the
same replicate at two design points so build the same population and network
and live through the same warm-up (the warm-up runs the baseline levers, see
``model/model.py``), and a difference between two points can be taken
replicate by replicate (:func:`experiments.analysis.differences`): the
population's own luck cancels out. Two replicates never share a stream.

A run's seed depends on the master seed and its replicate alone, so any run
can be re-run by itself, on any machine, without spawning the others. The seed
is a 63-bit integer, small enough for a scenario's ``seed`` field and a Parquet
int64 column, and printable so a person can pass it to ``crmsim run``.

Examples
--------
>>> replicate_seed(42, 0) == replicate_seed(42, 0)
True
>>> replicate_seed(42, 0) != replicate_seed(42, 1)
True
>>> import numpy as np
>>> child = np.random.SeedSequence(42).spawn(3)[2]
>>> replicate_seed(42, 2) == int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
True
"""

from __future__ import annotations

import numpy as np

__all__ = ["SCHEME", "replicate_seed", "sampler_seed"]

# How run seeds are drawn, in words; saved in each sweep's manifest, so that a
# sweep (or a rerun) never mixes seeds drawn one way with seeds drawn another.
SCHEME = ("run (point p, replicate r) uses numpy SeedSequence(master_seed, spawn_key=(r,)) at every point: "
          "common random numbers, replicates paired across points; see experiments/seeds.py")


def _to_int(seq: np.random.SeedSequence) -> int:
    return int(seq.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def replicate_seed(master_seed: int, replicate: int) -> int:
    """The seed of replicate ``replicate`` at every design point: the master seed's ``replicate``-th child."""
    if replicate < 0:
        raise ValueError(f"replicate must be at least 0, got {replicate}")
    return _to_int(np.random.SeedSequence(master_seed, spawn_key=(replicate,)))


def sampler_seed(master_seed: int) -> int:
    """The seed given to a design's sampler (Latin hypercube, Sobol, Morris).

    It comes from the master seed itself (no spawn key), so it never equals a
    run's seed stream.
    """
    return _to_int(np.random.SeedSequence(master_seed))
