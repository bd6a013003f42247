"""Social networks over citizens and prescribers, built in linear time.

Citizens are nodes ``0..n-1``; prescribers are nodes ``n..n+P-1``, attached as
hubs (informal ones around the skilled, institutional ones around the less skilled). Generators return edge arrays ``(u, v)`` built with numpy only (no Python
loop over nodes), so a million citizens take seconds, not minutes. The step
works on CSR sparse matrices (:func:`influence_matrix`); a networkx graph is
built only when someone asks for it (:func:`to_networkx`), e.g. the browser.

Families:

- ``small_world``: ring lattice with a share of ties rewired (Watts-Strogatz 1998);
- ``scale_free``: configuration model with power-law degrees (Molloy-Reed),
  a linear-time stand-in for preferential attachment;
- ``communities``: citizens grouped by digital skill into communities, a share
  ``homophily`` of ties inside one's own community;
- ``complete``: every pair tied (for the Bass limiting case; small n only);
- ``file``: an edge list (``.edgelist``, ``.txt``, ``.csv``) or GraphML file.

Examples
--------
>>> import numpy as np
>>> u, v = small_world_edges(10, 4, 0.0, np.random.default_rng(0))
>>> len(u)
20
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp

__all__ = [
    "NetworkFileError",
    "small_world_edges",
    "scale_free_edges",
    "community_edges",
    "complete_edges",
    "read_network_file",
    "attach_prescribers",
    "adjacency",
    "influence_matrix",
    "compact",
    "to_networkx",
    "COMPLETE_MAX",
]

COMPLETE_MAX = 5000  # a complete graph is quadratic: refuse beyond this many citizens


class NetworkFileError(ValueError):
    """A network file that cannot be used; the message is one line."""


def _simple(u: np.ndarray, v: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Drop self-loops and duplicate ties; ties are undirected, returned with u < v."""
    keep = u != v
    lo = np.minimum(u[keep], v[keep]).astype(np.int64)
    hi = np.maximum(u[keep], v[keep]).astype(np.int64)
    key = np.unique(lo * n + hi)
    return key // n, key % n


def small_world_edges(n: int, mean_degree: int, rewire: float, rng: np.random.Generator, *, offset: int = 0
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Ring lattice of ``mean_degree`` ties per node, each tie's far end rewired with probability ``rewire``."""
    half = max(1, min(mean_degree // 2, (n - 1) // 2))
    u = np.tile(np.arange(n, dtype=np.int64), half)
    v = (u + np.repeat(np.arange(1, half + 1, dtype=np.int64), n)) % n
    moved = rng.random(u.size) < rewire
    v[moved] = rng.integers(0, n, int(moved.sum()))
    u, v = _simple(u, v, n)
    return u + offset, v + offset


def scale_free_edges(n: int, mean_degree: float, exponent: float, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Configuration model with degrees drawn from a power law of the given exponent.

    Degrees follow a Pareto law with minimum ``mean_degree*(g-2)/(g-1)`` (so the
    mean is ``mean_degree`` before rounding), capped at ``sqrt(n*mean_degree)``
    (the structural cut-off); stubs are paired at random, and self-loops and
    multi-ties are dropped, which lowers the mean degree slightly.
    """
    alpha = exponent - 1.0
    d_min = mean_degree * (exponent - 2.0) / alpha
    raw = d_min * (1.0 - rng.random(n)) ** (-1.0 / alpha)
    raw = np.minimum(raw, np.sqrt(n * mean_degree))
    degree = np.floor(raw + rng.random(n)).astype(np.int64)
    stubs = np.repeat(np.arange(n, dtype=np.int64), degree)
    rng.shuffle(stubs)
    if stubs.size % 2:
        stubs = stubs[:-1]
    return _simple(stubs[0::2], stubs[1::2], n)


def community_edges(n: int, mean_degree: int, n_communities: int, homophily: float, skill: np.ndarray,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Communities of similar digital skill; a share ``homophily`` of ties stay inside.

    Returns ``(u, v, community)`` where ``community[i]`` is citizen i's group.
    """
    n_communities = max(1, min(n_communities, n))
    order = np.argsort(skill, kind="stable")
    community = np.empty(n, dtype=np.int64)
    community[order] = np.arange(n, dtype=np.int64) * n_communities // n
    start = np.searchsorted(community[order], np.arange(n_communities))
    size = np.diff(np.append(start, n))
    half = max(1, mean_degree // 2)
    u = np.repeat(np.arange(n, dtype=np.int64), half)
    inside = rng.random(u.size) < homophily
    c = community[u[inside]]
    v = rng.integers(0, n, u.size)
    v[inside] = order[start[c] + (rng.random(c.size) * size[c]).astype(np.int64)]
    u, v = _simple(u, v, n)
    return u, v, community


def complete_edges(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of citizens tied (quadratic: only for small n)."""
    if n > COMPLETE_MAX:
        raise ValueError(f"a complete network is limited to {COMPLETE_MAX} citizens (got {n})")
    u, v = np.triu_indices(n, k=1)
    return u.astype(np.int64), v.astype(np.int64)


def read_network_file(path: str | Path) -> tuple[int, np.ndarray, np.ndarray]:
    """Read an edge list or GraphML file; nodes are renumbered ``0..n-1`` in file order.

    Returns ``(n, u, v)``. Raises :class:`NetworkFileError` with a one-line reason.
    """
    path = Path(path)
    try:
        if path.suffix.lower() == ".graphml":
            graph = nx.read_graphml(path)
        else:
            delimiter = "," if path.suffix.lower() == ".csv" else None
            graph = nx.read_edgelist(path, delimiter=delimiter, comments="#", data=False)
    except FileNotFoundError:
        raise NetworkFileError(f"{path}: no such file") from None
    except Exception as err:  # networkx raises many kinds on a malformed file
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise NetworkFileError(f"{path}: not a readable edge list or GraphML file: {reason}") from None
    if graph.number_of_nodes() < 2:
        raise NetworkFileError(f"{path}: the network needs at least 2 nodes (got {graph.number_of_nodes()})")
    graph = nx.convert_node_labels_to_integers(nx.Graph(graph))
    if graph.number_of_edges() == 0:
        return graph.number_of_nodes(), np.empty(0, np.int64), np.empty(0, np.int64)
    edges = np.asarray(list(graph.edges()), dtype=np.int64)
    u, v = _simple(edges[:, 0], edges[:, 1], graph.number_of_nodes())
    return graph.number_of_nodes(), u, v


def attach_prescribers(n: int, informal: np.ndarray, skill: np.ndarray, *, informal_ties: int,
                       institutional_ties: int, informal_tilt: float, institutional_tilt: float,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw each prescriber's citizens, in order, picked by digital skill according to its kind.

    ``informal[j]`` says whether prescriber j is informal (an informed peer, an
    association) or institutional (a social worker, a public writer, a help
    desk). Informal prescribers gather around the competent: a citizen is
    picked with weight ``exp(informal_tilt * skill)`` (paper, section 3: "the
    more competent he is ... the more numerous they become"). Institutional
    ones seek out those the devices leave behind, with weight
    ``exp(-institutional_tilt * skill)``. Each prescriber draws ``*_ties``
    citizens; a citizen drawn twice by one prescriber is tied once.

    Returns ``(prescriber_node, citizen, rank)`` with prescriber nodes numbered
    from ``n``; ``rank`` is the tie's place in its prescriber's draws, so the
    first ``k`` ranks are the prescriber's ties when it can follow ``k``
    citizens (a funded prescriber follows more).
    """
    n_prescribers = informal.size
    if n_prescribers == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64)
    nodes = np.arange(n, n + n_prescribers, dtype=np.int64)
    prescriber_parts, citizen_parts, rank_parts = [], [], []
    for kind, tilt, ties in ((informal, informal_tilt, informal_ties), (~informal, -institutional_tilt,
                                                                        institutional_ties)):
        count, ties = int(kind.sum()), min(ties, n)
        if count == 0:
            continue
        log_weight = tilt * skill
        cumulative = np.cumsum(np.exp(log_weight - log_weight.max()))
        draws = rng.random(count * ties) * cumulative[-1]
        citizen_parts.append(np.minimum(np.searchsorted(cumulative, draws, side="right"), n - 1).astype(np.int64))
        prescriber_parts.append(np.repeat(nodes[kind], ties))
        rank_parts.append(np.tile(np.arange(ties, dtype=np.int64), count))
    prescriber, citizen, rank = (np.concatenate(parts) for parts in (prescriber_parts, citizen_parts, rank_parts))
    _, first = np.unique(prescriber * (n + n_prescribers) + citizen, return_index=True)  # first draw of each pair
    return prescriber[first], citizen[first], rank[first]


def adjacency(n_nodes: int, u: np.ndarray, v: np.ndarray) -> sp.csr_array:
    """Symmetric 0/1 adjacency in CSR form."""
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    data = np.ones(rows.size, dtype=np.float64)
    matrix = sp.csr_array((data, (rows, cols)), shape=(n_nodes, n_nodes))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def influence_matrix(adj: sp.csr_array, rows: slice, n_citizens: int, prescriber_weight: float) -> sp.csr_array:
    """Row-normalised influence weights of the chosen rows over every node.

    A prescriber's column weighs ``prescriber_weight`` times an ordinary
    neighbour (opinion leaders). A row without ties stays all zero; the
    diffusion step leaves such a node unchanged.
    """
    sub = adj[rows]
    sub = sp.csr_array(sub)
    col_weight = np.ones(adj.shape[1])
    col_weight[n_citizens:] = prescriber_weight
    sub = sub @ sp.diags_array(col_weight)
    sub = sp.csr_array(sub)
    total = np.asarray(sub.sum(axis=1)).ravel()
    scale = np.divide(1.0, total, out=np.zeros_like(total), where=total > 0)
    return compact(sp.csr_array(sp.diags_array(scale) @ sub))


def compact(matrix: sp.csr_array) -> sp.csr_array:
    """The same CSR matrix with 32-bit indices when they fit: a third faster to multiply."""
    if matrix.nnz < 2**31 and max(matrix.shape) < 2**31:
        matrix.indices = matrix.indices.astype(np.int32)
        matrix.indptr = matrix.indptr.astype(np.int32)
    return matrix


def to_networkx(n_citizens: int, n_prescribers: int, u: np.ndarray, v: np.ndarray) -> nx.Graph:
    """The network as a networkx graph; node attribute ``kind`` is 'citizen' or 'prescriber'."""
    graph = nx.Graph()
    graph.add_nodes_from(range(n_citizens), kind="citizen")
    graph.add_nodes_from(range(n_citizens, n_citizens + n_prescribers), kind="prescriber")
    graph.add_edges_from(zip(u.tolist(), v.tolist()))
    return graph
