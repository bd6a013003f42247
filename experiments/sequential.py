"""Verdicts decided as runs come in: repeated confidence intervals with alpha spending (Lan and DeMets 1983).

A comparison adds paired replicates in looks (``n_1 < n_2 < ... < n_K``, the
last being its budget). After each look every headline verdict is read off a
*repeated confidence interval* for its paired difference: an interval whose
coverage holds at every look at once, so reading it after each batch and
stopping as soon as it decides keeps its error rate (Jennison and Turnbull
1989, 2000 ch. 9). Re-reading a fixed-n 95% interval after each batch would
not: five looks at a null effect cross a 1.96 bound about 14% of the time.

The bounds spend the error ``alpha`` over the looks with the Hwang, Shih and
DeCani (1990) family, ``alpha (1 - exp(-gamma t)) / (1 - exp(-gamma))`` at
information fraction ``t = n_k / n_K``; the critical values come from the
joint law of the partial sums (Armitage, McPherson and Rowe 1969: recursive
numerical integration on a grid), then are carried over to Student's t with
``n_k - 1`` degrees of freedom at the same two-sided level, as Jennison and
Turnbull advise when the variance is estimated.

A verdict then follows the one rule every comparison uses
(:func:`experiments.compare.judgement`): *negligible* when the interval lies
within the smallest difference that matters (MID), *better* or *worse* when it
lies beyond half of it. If the interval covers the true effect at every look,
no verdict can be wrong: a negligible one needs the effect within the MID, a
better one an effect above half of it; effects between half and the whole MID
may be called either way (the indifference zone). So a procedure with 95%
simultaneous coverage makes a wrong verdict in at most 5% of comparisons,
however many looks it takes (:func:`simulate` checks this on known answers).

Examples
--------
>>> design = Design(looks=(10, 20, 30))
>>> [round(c, 2) for c in design.z_bounds]  # wide at first, near one look's 1.96 at the last
[3.01, 2.55, 2.0]
>>> low, high = design.interval(np.full(10, 1.0) + np.linspace(-0.1, 0.1, 10), look=0)
>>> round(low, 3), round(high, 3)
(0.912, 1.088)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
from scipy import optimize, stats

__all__ = ["Design", "spent", "z_bounds", "simulate", "ALPHA", "GAMMA"]

ALPHA = 0.05  # two-sided: the chance that some look's interval misses the true effect
GAMMA = -4.0  # Hwang-Shih-DeCani: like O'Brien and Fleming's, little spent early, so few verdicts stay unclear (docs/ODD.md)
_GRID = 801  # points of the grid each look's density is carried on


def spent(t: float, alpha: float = ALPHA, gamma: float = GAMMA) -> float:
    """The error spent by information fraction ``t`` (0 to 1): Hwang, Shih and DeCani's family.

    >>> round(spent(1.0), 10), round(spent(0.5, gamma=0.0), 4)
    (0.05, 0.025)
    """
    t = min(max(t, 0.0), 1.0)
    if gamma == 0:
        return alpha * t
    return float(alpha * (1 - np.exp(-gamma * t)) / (1 - np.exp(-gamma)))


@functools.lru_cache(maxsize=64)
def z_bounds(looks: tuple[int, ...], alpha: float = ALPHA, gamma: float = GAMMA) -> tuple[float, ...]:
    """Two-sided critical values on the normal scale, one per look, spending ``alpha`` as :func:`spent` says.

    ``looks`` are the cumulative numbers of observations at each look. The
    partial sum of standard normal increments after ``n`` observations is
    carried on a grid inside each look's continuation region; each bound is
    the one whose crossing probability, given no earlier crossing, is that
    look's share of ``alpha``.
    """
    if not looks or any(b <= a for a, b in zip(looks, looks[1:])) or looks[0] < 2:
        raise ValueError(f"looks must be increasing counts of at least 2, got {looks}")
    total = looks[-1]
    bounds, previous_spent = [], 0.0
    grid = weights = None
    previous_n = 0
    for n in looks:
        target = spent(n / total, alpha, gamma) - previous_spent
        previous_spent += target
        if grid is None:  # first look: the partial sum is N(0, n)
            b = np.sqrt(n) * stats.norm.ppf(1 - target / 2)
            grid = np.linspace(-b, b, _GRID)
            weights = stats.norm.pdf(grid, scale=np.sqrt(n)) * _trapezoid(grid)
        else:
            scale = np.sqrt(n - previous_n)

            def crossing(b: float) -> float:
                return float(weights @ (stats.norm.cdf((-b - grid) / scale) + stats.norm.sf((b - grid) / scale)))

            b = optimize.brentq(lambda x: crossing(x) - target, 1e-9, grid[-1] + 40 * scale, xtol=1e-10)
            new_grid = np.linspace(-b, b, _GRID)
            density = stats.norm.pdf((new_grid[:, None] - grid[None, :]) / scale) / scale @ weights
            grid, weights = new_grid, density * _trapezoid(new_grid)
        bounds.append(float(b / np.sqrt(n)))
        previous_n = n
    return tuple(bounds)


@functools.lru_cache(maxsize=64)
def _t_bounds(looks: tuple[int, ...], alpha: float, gamma: float) -> tuple[float, ...]:
    return tuple(float(stats.t.ppf(stats.norm.cdf(z), n - 1)) for z, n in zip(z_bounds(looks, alpha, gamma), looks))


def _trapezoid(grid: np.ndarray) -> np.ndarray:
    """Trapezoid-rule weights of an even grid."""
    h = grid[1] - grid[0]
    w = np.full(grid.size, h)
    w[[0, -1]] = h / 2
    return w


@dataclass(frozen=True)
class Design:
    """When a comparison looks (cumulative paired replicates per scenario) and the error it spends over them."""

    looks: tuple[int, ...]
    alpha: float = ALPHA
    gamma: float = GAMMA

    @classmethod
    def every(cls, first: int, budget: int, **spending: float) -> "Design":
        """Looks at ``first``, ``2 first``, ... up to ``budget`` (the last look at the budget itself).

        >>> Design.every(6, 20).looks
        (6, 12, 18, 20)
        """
        looks = list(range(first, budget + 1, first))
        if looks[-1] != budget:
            looks.append(budget)
        return cls(tuple(looks), **spending)

    @property
    def budget(self) -> int:
        return self.looks[-1]

    @property
    def z_bounds(self) -> tuple[float, ...]:
        return z_bounds(self.looks, self.alpha, self.gamma)

    def t_bound(self, look: int) -> float:
        """Look ``look``'s critical value on Student's scale (``n - 1`` degrees of freedom, same two-sided level)."""
        return _t_bounds(self.looks, self.alpha, self.gamma)[look]

    def interval(self, differences: np.ndarray, look: int) -> tuple[float, float]:
        """The repeated confidence interval of the mean of ``differences`` (the look's paired differences)."""
        x = np.asarray(differences, dtype=float)
        x = x[np.isfinite(x)]
        if x.size < 2:
            return float("nan"), float("nan")
        half = self.t_bound(look) * x.std(ddof=1) / np.sqrt(x.size)
        return float(x.mean() - half), float(x.mean() + half)

    def look_of(self, n: int) -> int:
        """The index of the look reached with ``n`` replicates (the last look not beyond ``n``)."""
        reached = [i for i, looked in enumerate(self.looks) if looked <= n]
        if not reached:
            raise ValueError(f"{n} replicates reach no look of {self.looks}")
        return reached[-1]


@dataclass
class Simulated:
    """What :func:`simulate` found over many comparisons with one true effect."""

    effect: float
    verdicts: dict[str, int] = field(default_factory=dict)
    replicates: list[int] = field(default_factory=list)

    @property
    def comparisons(self) -> int:
        return sum(self.verdicts.values())

    def share(self, verdict: str) -> float:
        return self.verdicts.get(verdict, 0) / self.comparisons

    @property
    def mean_replicates(self) -> float:
        return float(np.mean(self.replicates))


def simulate(design: Design, effect: float, sd: float, mid: float, judge: Callable[[float, float, float], str], *,
             comparisons: int = 1000, seed: int = 0,
             draw: Callable[[np.random.Generator, int], np.ndarray] | None = None) -> Simulated:
    """Run ``comparisons`` sequential comparisons of paired differences with a known mean ``effect``.

    Each draws the budget's differences (normal with standard deviation
    ``sd`` unless ``draw(rng, n)`` gives standardised draws of another law),
    then looks in turn and stops at the first look where ``judge(low, high,
    mid)`` is not "unclear". Returns the verdicts counted and the replicates
    each comparison used.
    """
    rng = np.random.default_rng(seed)
    result = Simulated(effect)
    for _ in range(comparisons):
        noise = rng.standard_normal(design.budget) if draw is None else draw(rng, design.budget)
        x = effect + sd * noise
        verdict, used = "unclear", design.budget
        for look, n in enumerate(design.looks):
            low, high = design.interval(x[:n], look)
            verdict = judge(low, high, mid)
            if verdict != "unclear":
                used = n
                break
        result.verdicts[verdict] = result.verdicts.get(verdict, 0) + 1
        result.replicates.append(used)
    return result
