"""Designs: which parameter values each design point gets.

A :class:`Factor` is one varied parameter: a list of values, or a range
``[low, high]`` (with ``levels`` for a full factorial). A design turns factors
into design points, each a ``{factor name: value}`` dict:

- ``full_factorial``: every combination of every factor's values;
- ``latin_hypercube``, ``sobol`` (Saltelli's scheme) and ``morris``: drawn by
  SALib's samplers, seeded from the experiment's master seed.

For the SALib designs the sampler's own coordinates are kept in
``Design.X`` (one row per point) with the SALib ``problem``, because the
analysis (``experiments.analysis``) needs exactly what was sampled. A factor
given as a list of values is sampled on ``[0, k)`` and mapped to the value
at ``floor(x)``; a whole-number parameter's draws are rounded.

Nothing here knows about scenarios: factors are names and numbers, so the same
code samples SALib's test functions in the tests.

Examples
--------
>>> d = full_factorial([Factor("a", values=(1, 2)), Factor("b", low=0.0, high=1.0, levels=3)])
>>> len(d.points), d.points[1]
(6, {'a': 1, 'b': 0.5})
>>> s = sobol([Factor("x", low=0.0, high=1.0), Factor("y", low=0.0, high=2.0)], samples=8, seed=1)
>>> len(s.points)  # N * (D + 2)
32
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

__all__ = ["Factor", "Design", "DESIGNS", "make_design", "design_size", "full_factorial", "latin_hypercube", "sobol",
           "morris"]


@dataclass(frozen=True)
class Factor:
    """One varied parameter: either ``values`` or a range ``low``..``high``.

    ``levels`` spaces a range evenly for a full factorial; ``integer`` rounds
    a range's draws to whole numbers.
    """

    name: str
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    levels: int | None = None
    integer: bool = False

    def __post_init__(self) -> None:
        if self.values is None:
            if self.low is None or self.high is None:
                raise ValueError(f"{self.name}: give values, or low and high")
            if self.low > self.high:
                raise ValueError(f"{self.name}: low {self.low} is above high {self.high}")
        elif len(self.values) == 0:
            raise ValueError(f"{self.name}: no values")

    @property
    def discrete(self) -> bool:
        return self.values is not None

    @property
    def bounds(self) -> tuple[float, float]:
        """The sampler's bounds: the range, or ``[0, k)`` for k listed values."""
        if self.values is not None:
            return 0.0, float(len(self.values))
        return float(self.low), float(self.high)  # type: ignore[arg-type]

    def value_at(self, x: float) -> Any:
        """The parameter value for a sampler coordinate ``x``."""
        if self.values is not None:
            return self.values[min(max(int(math.floor(x)), 0), len(self.values) - 1)]
        if self.integer:
            return int(round(x))
        return float(x)

    def grid(self) -> tuple[Any, ...]:
        """The values a full factorial uses."""
        if self.values is not None:
            return self.values
        if self.levels is None:
            raise ValueError(f"{self.name}: a full factorial needs a list of values or levels")
        grid = np.linspace(self.low, self.high, self.levels)  # type: ignore[arg-type]
        if self.integer:
            return tuple(dict.fromkeys(int(round(x)) for x in grid))
        return tuple(float(x) for x in grid)

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Factor":
        data = dict(data)
        if "values" in data:
            data["values"] = tuple(data["values"])
        return cls(**data)


@dataclass
class Design:
    """Design points, in order; point ``i`` is ``points[i]``."""

    kind: str
    factors: tuple[Factor, ...]
    points: list[dict[str, Any]]
    X: np.ndarray | None = None  # sampler coordinates, one row per point (SALib designs)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def problem(self) -> dict[str, Any]:
        """The SALib problem these factors make."""
        return problem_for(self.factors)

    def __len__(self) -> int:
        return len(self.points)


def problem_for(factors: tuple[Factor, ...] | list[Factor]) -> dict[str, Any]:
    return {"num_vars": len(factors), "names": [f.name for f in factors], "bounds": [list(f.bounds) for f in factors]}


def _points_from(factors: tuple[Factor, ...], X: np.ndarray) -> list[dict[str, Any]]:
    return [{f.name: f.value_at(x) for f, x in zip(factors, row)} for row in X]


def full_factorial(factors: list[Factor] | tuple[Factor, ...]) -> Design:
    """Every combination; the last factor varies fastest."""
    factors = tuple(factors)
    grids = [f.grid() for f in factors]
    points = [dict(zip((f.name for f in factors), combo)) for combo in itertools.product(*grids)]
    return Design("full_factorial", factors, points)


def latin_hypercube(factors: list[Factor] | tuple[Factor, ...], *, samples: int, seed: int) -> Design:
    """``samples`` points, one in each of ``samples`` equal slices of every factor's range."""
    from SALib.sample import latin

    factors = tuple(factors)
    X = latin.sample(problem_for(factors), samples, seed=seed)
    return Design("latin_hypercube", factors, _points_from(factors, X), X, {"samples": samples})


def sobol(factors: list[Factor] | tuple[Factor, ...], *, samples: int, seed: int, second_order: bool = False) -> Design:
    """Saltelli's scheme on a scrambled Sobol sequence: ``samples * (D + 2)`` points
    (``samples * (2D + 2)`` with second-order indices); ``samples`` should be a power of 2."""
    from SALib.sample import sobol as sobol_sampler

    factors = tuple(factors)
    X = sobol_sampler.sample(problem_for(factors), samples, calc_second_order=second_order, scramble=True, seed=seed)
    return Design("sobol", factors, _points_from(factors, X), X, {"samples": samples, "second_order": second_order})


def morris(factors: list[Factor] | tuple[Factor, ...], *, trajectories: int, seed: int, levels: int = 4) -> Design:
    """``trajectories`` one-at-a-time paths of ``D + 1`` points on a ``levels`` grid."""
    from SALib.sample import morris as morris_sampler

    factors = tuple(factors)
    X = morris_sampler.sample(problem_for(factors), trajectories, num_levels=levels, seed=seed)
    return Design("morris", factors, _points_from(factors, X), X, {"trajectories": trajectories, "levels": levels})


DESIGNS: dict[str, Callable[..., Design]] = {
    "full_factorial": lambda factors, seed, **_: full_factorial(factors),
    "latin_hypercube": lambda factors, seed, samples, **_: latin_hypercube(factors, samples=samples, seed=seed),
    "sobol": lambda factors, seed, samples, second_order=False, **_: sobol(
        factors, samples=samples, seed=seed, second_order=second_order),
    "morris": lambda factors, seed, trajectories, levels=4, **_: morris(
        factors, trajectories=trajectories, seed=seed, levels=levels),
}


# How many points each design makes, without building it (SALib's sizes), so that
# an experiment can be refused before a design too big for memory is built.
SIZES: dict[str, Callable[..., int]] = {
    "full_factorial": lambda factors, **_: math.prod(len(f.grid()) for f in factors),
    "latin_hypercube": lambda factors, samples, **_: samples,
    "sobol": lambda factors, samples, second_order=False, **_: samples * (
        (2 * len(factors) if second_order else len(factors)) + 2),
    "morris": lambda factors, trajectories, **_: trajectories * (len(factors) + 1),
}
assert set(SIZES) == set(DESIGNS)


def design_size(kind: str, factors: list[Factor] | tuple[Factor, ...], **options: Any) -> int:
    """The number of points ``make_design(kind, factors, ...)`` would make, computed without making them.

    >>> design_size("sobol", [Factor("x", low=0.0, high=1.0), Factor("y", low=0.0, high=2.0)], samples=8)
    32
    >>> design_size("full_factorial", [Factor("a", values=(1, 2)), Factor("b", low=0, high=1, levels=3)])
    6
    """
    try:
        size = SIZES[kind]
    except KeyError:
        raise ValueError(f"unknown design {kind!r}; known: {', '.join(SIZES)}") from None
    return size(tuple(factors), **options)


def make_design(kind: str, factors: list[Factor] | tuple[Factor, ...], *, seed: int, **options: Any) -> Design:
    """Build the design named ``kind`` (a key of :data:`DESIGNS`)."""
    try:
        build = DESIGNS[kind]
    except KeyError:
        raise ValueError(f"unknown design {kind!r}; known: {', '.join(DESIGNS)}") from None
    return build(tuple(factors), seed, **options)
