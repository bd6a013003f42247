"""Social networks over citizens and prescribers, built in linear time.

Citizens are nodes ``0..n-1``; prescribers are nodes ``n..n+P-1``, attached as
hubs (informal ones around the skilled, institutional ones around the less
skilled). Generators return edge arrays ``(u, v)`` built with numpy only (no
Python loop over nodes), so a million citizens take seconds, not minutes. The step
works on CSR sparse matrices (:func:`influence_matrix`); a networkx graph is
built only when someone asks for it (:func:`to_networkx`), e.g. the browser.

Families:

- ``small_world``: ring lattice with a share of ties rewired (Watts-Strogatz 1998);
- ``scale_free``: configuration model with power-law degrees (Molloy-Reed),
  a linear-time stand-in for preferential attachment;
- ``communities``: citizens grouped by digital skill into communities, a share
  ``homophily`` of ties inside one's own community;
- ``complete``: every pair tied (for the Bass limiting case; small n only);
- ``file``: a GraphML, GEXF or GML file, or an edge list (``.edgelist``,
  ``.txt``, ``.csv``): see :func:`read_network_file`.

Examples
--------
>>> import numpy as np
>>> u, v = small_world_edges(10, 4, 0.0, np.random.default_rng(0))
>>> len(u)
20
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp

from crmsim.model.params import PARAMS, number

__all__ = [
    "NetworkFileError",
    "small_world_edges",
    "scale_free_edges",
    "community_edges",
    "complete_edges",
    "read_network_file",
    "NETWORK_SUFFIXES",
    "attach_prescribers",
    "adjacency",
    "influence_matrix",
    "compact",
    "ColumnwiseCsr",
    "to_networkx",
    "COMPLETE_MAX",
]

COMPLETE_MAX = 5000  # a complete graph is quadratic: refuse beyond this many citizens


class NetworkFileError(ValueError):
    """A network file that cannot be used; the message is one line."""


def _first_of_each(keys: np.ndarray) -> np.ndarray:
    """Index of the first occurrence of each distinct key, in increasing key order.

    What ``np.unique(keys, return_index=True)[1]`` returns (a stable sort, then
    a mask of where each run of equal keys starts), spelt out like
    :func:`_simple` so that both de-duplications read alike.
    """
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    first = np.ones(keys.size, dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return order[first]


def _simple(u: np.ndarray, v: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Drop self-loops and duplicate ties; ties are undirected, returned with u < v, sorted by (u, v).

    Sorts the keys ``u * n + v`` in place and keeps the first of each run: what
    ``np.unique`` returns, but numpy 2's ``np.unique`` hashes the keys before
    sorting the distinct ones, which took 3.5 s on 3 million ties at a million
    citizens, against 0.2 s for this.
    """
    keep = u != v
    key = np.minimum(u[keep], v[keep]).astype(np.int64)
    key *= n
    key += np.maximum(u[keep], v[keep])
    key.sort()
    distinct = np.ones(key.size, dtype=bool)
    np.not_equal(key[1:], key[:-1], out=distinct[1:])
    key = key[distinct]
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


# Graph formats, read by networkx; GML nodes are named by their ``id`` (a ``label`` is optional there).
_GRAPH_READERS: dict[str, Callable[[Path], nx.Graph]] = {
    ".graphml": nx.read_graphml,
    ".gexf": nx.read_gexf,
    ".gml": functools.partial(nx.read_gml, label=None),
}
# Edge lists: one tie a line; ``.csv`` is comma-separated, the others whitespace-separated.
_EDGE_LIST_SUFFIXES = (".csv", ".edgelist", ".txt")
NETWORK_SUFFIXES = tuple(sorted((*_GRAPH_READERS, *_EDGE_LIST_SUFFIXES)))
# A first line naming its two columns so (any case) is a header, not a tie.
HEADERS = (("source", "target"), ("from", "to"), ("src", "dst"), ("node1", "node2"))


def read_network_file(path: str | Path) -> tuple[int, np.ndarray, np.ndarray]:
    """Read a network file; nodes are renumbered ``0..n-1`` in file order.

    Accepted (by suffix, :data:`NETWORK_SUFFIXES`): GraphML (``.graphml``),
    GEXF (``.gexf``) and GML (``.gml``), read by networkx, and edge lists, one
    tie a line: ``.csv`` (comma-separated) or ``.edgelist``/``.txt``
    (whitespace-separated, the format of ``networkx.write_edgelist``). In an
    edge list, ``#`` starts a comment, and a first line that names its two
    columns (``source,target``, ``from,to``, ``src,dst`` or ``node1,node2``, any
    case) is a header. Ties are undirected and unweighted: a line with a third
    column is refused (a trailing attribute dict ``{...}`` as networkx writes
    is allowed, and not used, as edge attributes in the graph formats are
    not). Self-loops and repeated ties count once.

    Any other suffix is refused rather than guessed: a GEXF file read as an
    edge list once made 77 citizens of XML tokens. The network must have as
    many nodes as ``n_citizens`` allows a generated one (its range in
    :data:`~model.params.PARAMS`), so one rule holds for both.

    Returns ``(n, u, v)``. Raises :class:`NetworkFileError` with a one-line reason.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in NETWORK_SUFFIXES:
        kind = f"type {suffix!r}" if suffix else "type (no suffix)"
        raise NetworkFileError(f"{path}: unknown network file {kind}; accepted: {', '.join(NETWORK_SUFFIXES)}")
    try:
        if suffix in _GRAPH_READERS:
            n, u, v = _read_graph(path, _GRAPH_READERS[suffix])
        else:
            n, u, v = _read_edge_list(path, "," if suffix == ".csv" else None)
    except FileNotFoundError:
        raise NetworkFileError(f"{path}: no such file") from None
    except NetworkFileError:
        raise
    except Exception as err:  # networkx raises many kinds on a malformed file
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise NetworkFileError(f"{path}: not a readable {suffix[1:]} file: {reason}") from None
    bounds = PARAMS["n_citizens"]
    if not bounds.low <= n <= bounds.high:
        raise NetworkFileError(f"{path}: the network has {n} nodes; a network needs from {number(bounds.low)} "
                               f"to {number(bounds.high)} citizens (n_citizens' range)")
    return n, *_simple(u, v, n)


def _read_graph(path: Path, reader: Callable[[Path], nx.Graph]) -> tuple[int, np.ndarray, np.ndarray]:
    """A graph format read by networkx: nodes numbered in file order, ties as two arrays."""
    graph = reader(path)
    index = {node: i for i, node in enumerate(graph.nodes)}
    ties = np.array([(index[a], index[b]) for a, b in graph.edges()], dtype=np.int64).reshape(-1, 2)
    return len(index), ties[:, 0], ties[:, 1]


def _read_edge_list(path: Path, delimiter: str | None) -> tuple[int, np.ndarray, np.ndarray]:
    """An edge list: two node names a line (see :func:`read_network_file`), nodes numbered as first seen."""
    index: dict[str, int] = {}
    ends: list[int] = []
    with open(path, encoding="utf-8", newline="") as handle:
        for line_no, fields in _rows(handle, delimiter):
            if not index and tuple(f.lower() for f in fields[:2]) in HEADERS:
                if len(fields) > 2:
                    raise NetworkFileError(f"{path}: line {line_no}: header {','.join(fields)}: an edge list has "
                                           f"two columns ({fields[0]}, {fields[1]}); ties are unweighted: remove the "
                                           "others")
                continue
            attributes = delimiter is None and len(fields) == 3 and fields[2][:1] == "{" and fields[2][-1:] == "}"
            if len(fields) != 2 and not attributes:
                raise NetworkFileError(f"{path}: line {line_no}: {len(fields)} field{'s' if len(fields) > 1 else ''}; "
                                       "each line of an edge list is one tie, two node names (ties are unweighted: "
                                       "remove other columns)")
            if not (fields[0] and fields[1]):
                raise NetworkFileError(f"{path}: line {line_no}: an empty node name; each line of an edge list is one "
                                       "tie, two node names")
            ends.append(index.setdefault(fields[0], len(index)))
            ends.append(index.setdefault(fields[1], len(index)))
    ties = np.array(ends, dtype=np.int64).reshape(-1, 2)
    return len(index), ties[:, 0], ties[:, 1]


def _rows(lines: Iterable[str], delimiter: str | None) -> Iterator[tuple[int, list[str]]]:
    """``(line number, fields)`` of each line that is not blank or a comment.

    Whitespace-separated: ``#`` starts a comment anywhere, and a third field
    keeps the rest of the line (a networkx attribute dict has spaces). Comma-
    separated: the csv module's rules (quotes), ``#`` only at a line's start.
    """
    for line_no, line in enumerate(lines, 1):
        if delimiter is None:
            fields = line.split("#", 1)[0].split(None, 2)
        elif line.lstrip().startswith("#"):
            continue
        else:
            fields = next(csv.reader([line], delimiter=delimiter), [])
        fields = [f.strip() for f in fields]
        if any(fields):
            yield line_no, fields


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
    first = _first_of_each(prescriber * (n + n_prescribers) + citizen)  # first draw of each pair
    return prescriber[first], citizen[first], rank[first]


def adjacency(n_nodes: int, u: np.ndarray, v: np.ndarray) -> sp.csr_array:
    """Symmetric 0/1 adjacency in CSR form (32-bit indices when they fit: a third faster to build, and smaller)."""
    index = np.int32 if n_nodes < 2**31 and 2 * u.size < 2**31 else np.int64
    rows = np.concatenate([u, v], dtype=index, casting="same_kind")
    cols = np.concatenate([v, u], dtype=index, casting="same_kind")
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

    Built entry by entry, ``w_ij = c_j / sum_k c_k`` over row i's ties (``c``
    the column weight), where it once took two sparse products with diagonal
    matrices (a second at a million citizens). Each row's total is summed from
    its last column to its first, the order those products left it in, so
    the weights, and every result, are the same to the last bit.
    """
    sub = sp.csr_array(adj[rows])
    if np.shares_memory(sub.data, adj.data):  # scaled in place below: never the caller's
        sub = sub.copy()
    if prescriber_weight != 1.0:
        sub.data[sub.indices >= n_citizens] *= prescriber_weight
    sub.eliminate_zeros()  # a zero weight is no tie (as a sparse product would drop it)
    total = _row_sums_last_column_first(sub)
    scale = np.divide(1.0, total, out=np.zeros_like(total), where=total > 0)
    sub.data *= np.repeat(scale, np.diff(sub.indptr))
    return compact(sub)


def _row_sums_last_column_first(matrix: sp.csr_array) -> np.ndarray:
    """Each row's sum, adding its entries (sorted by column) from the last to the first.

    Reversing the data reverses both the rows and each row's entries, so one
    ``np.add.reduceat`` over the reversed data sums each row backwards.
    """
    total = np.zeros(matrix.shape[0])
    nonempty = np.flatnonzero(np.diff(matrix.indptr))
    if nonempty.size:
        starts = matrix.nnz - matrix.indptr[nonempty + 1].astype(np.int64)  # where each row starts, reversed
        total[nonempty] = np.add.reduceat(matrix.data[::-1], starts[::-1])[::-1]
    return total


class ColumnwiseCsr(sp.csr_array):
    """A CSR matrix that multiplies a column-major (Fortran-ordered) block one column at a time, when that is faster.

    scipy multiplies a dense block row by row: each tie reads the neighbour's
    whole row of the block, at a random place. At a million citizens the
    opinions (knowledge and trust: 5 columns, 40 MB) outgrow this machine's
    32 MB cache and the product waits on memory, while one column (8 MB)
    fits. So five one-column products cost about 0.6 times one five-column
    product (75 ms against 129 ms at a million citizens, counting the
    conversion of the block to rows and of the result back to columns), though
    they read the matrix five times. Measured ratios (one column at a time
    over the whole block)::

        citizens   200,000  400,000  1 million  2 million  4 million  6 million  10 million
        ratio         1.31     0.64       0.58       0.63       0.88       1.00        1.33

    A small block fits in cache whole, and a column of a large one does not;
    either way reading the matrix once is better. Hence the window: a block of
    at least :data:`COLUMNWISE_MIN_BLOCK` bytes whose columns have at most
    :data:`COLUMNWISE_MAX_COLUMN` bytes each (this machine's cache sizes).

    Every sum has the same terms in the same order as scipy's, so the result
    is the same to the last bit; it is column-major, the layout the diffusion
    phase works in. Anything else is multiplied by scipy.
    """

    def __matmul__(self, other):
        if (isinstance(other, np.ndarray) and other.ndim == 2 and other.shape[0] == self.shape[1]
                and other.flags.f_contiguous and not other.flags.c_contiguous
                and other.nbytes >= COLUMNWISE_MIN_BLOCK and other.shape[0] * other.itemsize <= COLUMNWISE_MAX_COLUMN):
            out = np.empty((self.shape[0], other.shape[1]), dtype=np.result_type(self.dtype, other.dtype), order="F")
            for j in range(other.shape[1]):
                out[:, j] = super().__matmul__(other[:, j])
            return out
        return super().__matmul__(other)


COLUMNWISE_MIN_BLOCK = 12 * 2**20  # smaller blocks fit in cache whole: one row-by-row product is faster
COLUMNWISE_MAX_COLUMN = 32 * 2**20  # larger columns do not fit in cache: reading the matrix once is faster


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
