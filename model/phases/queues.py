"""Choice and queueing tools the phases share: logistic and multinomial-logit draws, and weekly capacity.

Counters, prescribers and redress reviews all serve a capacity a week that
accrues as credit (0.3 a week serves one case every three or four weeks), and
serve their queue first in line by a priority (oldest first, say).
"""

from __future__ import annotations

import numpy as np

__all__ = ["logistic", "choice_probabilities", "draw_choice", "weekly_slots", "spend", "first_in_line"]


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def choice_probabilities(utility: np.ndarray) -> np.ndarray:
    """Multinomial-logit probabilities per row (softmax); ``-inf`` marks an unavailable option."""
    weight = np.exp(utility - utility.max(axis=1, keepdims=True))
    return weight / weight.sum(axis=1, keepdims=True)


def draw_choice(probability: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One column per row, drawn with the row's probabilities (one uniform draw per row)."""
    cumulative = np.cumsum(probability, axis=1)
    threshold = rng.random(probability.shape[0]) * cumulative[:, -1]
    return np.minimum((cumulative <= threshold[:, None]).sum(axis=1), probability.shape[1] - 1)


def weekly_slots(credit: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """This week's whole slots per group: capacity accrues as credit (never below zero slots)."""
    credit += capacity
    return np.maximum(np.floor(credit), 0).astype(np.int64)


def spend(credit: np.ndarray, used: np.ndarray, capacity: np.ndarray) -> None:
    """Take the slots used from the credit; unused credit is kept up to one week's capacity plus one."""
    credit -= used
    np.minimum(credit, capacity + 1.0, out=credit)


def first_in_line(group: np.ndarray, slots: np.ndarray, *priority: np.ndarray) -> np.ndarray:
    """Who is served: in each group, the first ``slots[group]`` by ``priority`` keys (most important first).

    Returns a mask aligned with ``group``.

    >>> first_in_line(np.array([0, 0, 1, 0]), np.array([2, 0]), np.array([3.0, 1.0, 0.0, 2.0])).tolist()
    [False, True, False, True]
    """
    order = np.lexsort((*reversed(priority), group))
    sorted_group = group[order]
    rank = np.arange(group.size) - np.searchsorted(sorted_group, sorted_group, side="left")
    served = np.empty(group.size, dtype=bool)
    served[order] = rank < slots[sorted_group]
    return served
