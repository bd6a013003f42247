"""Where the teacher's page draws each citizen and prescriber: communities apart, the least skilled first.

A force layout of the whole network is a hairball: communities overlap and
the paper's question (who is left behind?) cannot be seen. Here the
citizens' communities are found in their ties (Louvain, networkx, seeded),
each community is laid out on its own (:func:`force_layout`) in a disc sized
to its population, and the discs sit on a grid ordered by the community's
mean digital skill: the least skilled community top left, the most skilled
bottom right. Prescribers follow dozens of citizens all over the network, so
no place among them is theirs: they sit on the square's border, each on the
side where its citizens are on average, and their ties cross to them.

The same network always gets the same positions, so two scenarios run side
by side from one seed look alike, and a reset that keeps the population
redraws at once (the positions are cached).
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict

import networkx as nx
import numpy as np

from crmsim.model.model import CrmModel

__all__ = ["layout", "communities", "force_layout"]

_LAYOUTS: OrderedDict[bytes, np.ndarray] = OrderedDict()  # positions only: no model, nothing a tab could change
_LAYOUTS_LOCK = threading.Lock()
_KEEP = 16  # networks whose positions are kept

CITIZENS_BOX = (0.07, 0.93)  # the citizens' square inside the unit square; prescribers on its border
SMALLEST_GROUP = 0.01  # communities under this share of citizens (isolated people) are drawn as one group


def layout(run: CrmModel) -> np.ndarray:
    """Each node's position in the unit square (citizens, then prescribers), as float32 (x, y) rows."""
    n, n_pres = run.n_citizens, run.n_prescribers
    u, v = run.edges
    skill = run.citizens.skill
    key = hashlib.blake2b(np.int64(n).tobytes() + u.tobytes() + v.tobytes() + skill.tobytes(),
                          digest_size=16).digest()
    with _LAYOUTS_LOCK:
        if key in _LAYOUTS:
            _LAYOUTS.move_to_end(key)
            return _LAYOUTS[key]
    citizens = _citizen_positions(n, *run.citizen_edges, skill)
    ties = u >= n  # a prescriber's tie: (prescriber node, citizen)
    positions = np.concatenate([citizens, _prescriber_positions(citizens, v[ties], u[ties] - n, n_pres)])
    positions = positions.astype(np.float32)
    with _LAYOUTS_LOCK:
        _LAYOUTS[key] = positions
        while len(_LAYOUTS) > _KEEP:
            _LAYOUTS.popitem(last=False)
    return positions


def communities(n: int, u: np.ndarray, v: np.ndarray, skill: np.ndarray) -> list[np.ndarray]:
    """The citizens' communities (arrays of citizen indices), from the least to the most skilled on average.

    Louvain's method (networkx, seed 0) on the citizens' ties; communities
    smaller than SMALLEST_GROUP of the citizens (people with no tie, pairs)
    are pooled into one last group, so the page does not draw a hundred dots
    each in its own place.
    """
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(zip(u.tolist(), v.tolist()))
    found = [np.fromiter(group, dtype=np.int64) for group in nx.community.louvain_communities(graph, seed=0)]
    smallest = max(2, math.ceil(SMALLEST_GROUP * n))
    groups = sorted((np.sort(g) for g in found if g.size >= smallest), key=lambda g: (skill[g].mean(), g[0]))
    scattered = [g for g in found if g.size < smallest]
    if scattered:
        groups.append(np.sort(np.concatenate(scattered)))
    return groups


def _citizen_positions(n: int, u: np.ndarray, v: np.ndarray, skill: np.ndarray) -> np.ndarray:
    """Each community in its own disc (area in proportion to its population), the discs on a grid."""
    groups = communities(n, u, v, skill)
    columns = math.ceil(math.sqrt(len(groups)))
    rows = math.ceil(len(groups) / columns)
    low, high = CITIZENS_BOX
    cell = (high - low) / max(columns, rows)
    largest = max(g.size for g in groups)
    inside = np.full(n, -1, dtype=np.int64)
    positions = np.empty((n, 2))
    for number, group in enumerate(groups):
        inside[group] = np.arange(group.size)
        own = (inside[u] >= 0) & (inside[v] >= 0)
        disc = force_layout(group.size, inside[u[own]], inside[v[own]]) - 0.5
        radius = 0.45 * cell * math.sqrt(group.size / largest)
        disc *= radius / max(float(np.hypot(disc[:, 0], disc[:, 1]).max()), 1e-9)
        row, column = divmod(number, columns)
        centre = (low + (column + 0.5) * cell + (high - low - columns * cell) / 2,
                  low + (row + 0.5) * cell + (high - low - rows * cell) / 2)
        positions[group] = disc + centre
        inside[group] = -1
    return positions


def _prescriber_positions(citizens: np.ndarray, follower: np.ndarray, prescriber: np.ndarray,
                          n_pres: int) -> np.ndarray:
    """Prescribers spread evenly round the square's border, in the order of where their followers are."""
    count = np.maximum(np.bincount(prescriber, minlength=n_pres), 1)
    side = [np.bincount(prescriber, citizens[follower, axis] - 0.5, n_pres) / count for axis in (0, 1)]
    order = np.argsort(np.arctan2(side[1], side[0]), kind="stable")
    angle = np.empty(n_pres)
    angle[order] = 2 * np.pi * np.arange(n_pres) / max(n_pres, 1)
    direction = np.column_stack([np.cos(angle), np.sin(angle)])
    to_border = 0.47 / np.maximum(np.abs(direction).max(axis=1), 1e-9)  # a ray from the centre to the border
    return 0.5 + direction * to_border[:, None]


def force_layout(n: int, u: np.ndarray, v: np.ndarray, *, iterations: int = 50, seed: int = 0) -> np.ndarray:
    """Fruchterman and Reingold's layout (1991): ties pull, every pair pushes, the moves cool down.

    Written over whole arrays in single precision: 0.3 s at a thousand nodes,
    where networkx's ``spring_layout`` takes 4 s. A weak pull to the centre
    keeps nodes without ties in view. Scaled so the longer side spans [0, 1].
    """
    rng = np.random.default_rng(seed)
    x, y = rng.random(n, dtype=np.float32), rng.random(n, dtype=np.float32)
    k = np.float32(1.0 / np.sqrt(n))  # the distance at which a tie's pull and a pair's push balance
    gravity = np.float32(0.1 * np.sqrt(n))
    step = np.float32(0.1)
    cool = step / (iterations + 1)
    for _ in range(iterations):
        dx, dy = x[:, None] - x[None, :], y[:, None] - y[None, :]
        push = dx * dx
        push += dy * dy
        np.maximum(push, np.float32(1e-9), out=push)
        np.divide(k * k, push, out=push)
        fx, fy = np.einsum("ij,ij->i", dx, push), np.einsum("ij,ij->i", dy, push)
        ex, ey = x[u] - x[v], y[u] - y[v]
        pull = np.sqrt(ex * ex + ey * ey) / k
        fx -= np.bincount(u, ex * pull, n) - np.bincount(v, ex * pull, n) + gravity * (x - 0.5)
        fy -= np.bincount(u, ey * pull, n) - np.bincount(v, ey * pull, n) + gravity * (y - 0.5)
        length = np.maximum(np.hypot(fx, fy), 1e-9)
        scale = np.minimum(length, step) / length
        x += (fx * scale).astype(np.float32)
        y += (fy * scale).astype(np.float32)
        step -= cool
    positions = np.column_stack([x, y])
    low = positions.min(axis=0)
    span = max(float((positions.max(axis=0) - low).max()), 1e-9)
    return ((positions - low) / span).astype(np.float32)
