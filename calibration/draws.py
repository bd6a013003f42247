"""pyabc's proposals drawn from a NumPy Generator of ours, not from NumPy's global one.

pyabc draws its priors (scipy's ``rvs``) and its perturbations
(``MultivariateNormalTransition``: ``np.random.choice`` and
``np.random.multivariate_normal``) from the global generator, and has no
option to pass another. The prior and the transition here are pyabc's own,
with their draws taken from :class:`Draws`, which holds one Generator per
generation (from the file's seed and the generation's number). On one core
(``--workers 1``, pyabc's SingleCoreSampler) a calibration is then the same on
every machine, and a resumed one equal to one never stopped.

With several worker processes the Generator would be copied into each of them
and they would all propose the same particles, so there :class:`Draws` holds
none and pyabc draws as it always does (each worker reseeded by pyabc): only
the model runs are reproducible then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyabc
from pyabc.parameters import Parameter


@dataclass
class Draws:
    """The generator this generation's proposals come from; None: pyabc's own global draws."""

    rng: np.random.Generator | None = None


class UniformPrior(pyabc.RV):
    """pyabc's uniform prior on [low, high], drawn from ``draws``."""

    def __init__(self, draws: Draws, low: float, high: float):
        self.draws, self.low, self.high = draws, low, high  # before pyabc's __init__, which pickles itself
        super().__init__("uniform", low, high - low)

    def copy(self) -> "UniformPrior":
        return UniformPrior(self.draws, self.low, self.high)

    def rvs(self, *args: Any, **kwargs: Any) -> Any:
        if self.draws.rng is not None:
            kwargs.setdefault("random_state", self.draws.rng)
        return super().rvs(*args, **kwargs)

    def __getstate__(self) -> Any:  # pyabc's RV pickles (name, args, kwargs); keep ours too
        return super().__getstate__(), self.draws, self.low, self.high

    def __setstate__(self, state: Any) -> None:
        inner, self.draws, self.low, self.high = state
        super().__setstate__(inner)


class Transition(pyabc.MultivariateNormalTransition):
    """pyabc's multivariate normal perturbation (same bandwidth, same scaling), drawn from ``draws``."""

    def __init__(self, draws: Draws):
        super().__init__()
        self.draws = draws

    def rvs_single(self) -> Parameter:
        rng = self.draws.rng
        if rng is None:
            return super().rvs_single()
        sample = self.X.iloc[rng.choice(self._range, p=self.w, replace=True)]
        return Parameter(sample + rng.multivariate_normal(np.zeros(self.cov.shape[0]), self.cov))

    def rvs(self, size: int | None = None) -> Any:
        rng = self.draws.rng
        if rng is None or size is None:
            return super().rvs(size) if rng is None else self.rvs_single()
        sample = self.X.iloc[rng.choice(self._range, size=size, p=self.w, replace=True)]
        return sample + rng.multivariate_normal(np.zeros(self.cov.shape[0]), self.cov, size=size)
