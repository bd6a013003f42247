"""Network builders: sizes, degrees, homophily, files, prescribers, CSR weights."""

import networkx as nx
import numpy as np
import pytest

from crmsim.model import network as nets
from crmsim.model.params import PARAMS


def rng(seed=0):
    return np.random.default_rng(seed)


def test_small_world_without_rewiring_is_a_ring_lattice():
    u, v = nets.small_world_edges(100, 6, 0.0, rng())
    degree = np.bincount(np.concatenate([u, v]), minlength=100)
    assert (degree == 6).all()
    assert (u < v).all()


def test_small_world_rewiring_keeps_the_mean_degree_close():
    u, v = nets.small_world_edges(10_000, 6, 0.2, rng())
    assert 2 * u.size / 10_000 == pytest.approx(6, rel=0.01)


def test_scale_free_has_the_mean_degree_and_a_heavy_tail():
    u, v = nets.scale_free_edges(50_000, 6, 2.5, rng())
    degree = np.bincount(np.concatenate([u, v]), minlength=50_000)
    assert degree.mean() == pytest.approx(6, rel=0.15)
    assert degree.max() > 20 * degree.mean()  # hubs: a Poisson graph would stay near 20


def test_communities_keep_the_homophily_share_inside():
    skill = rng(1).random(5000)
    u, v, community = nets.community_edges(5000, 6, 10, 0.8, skill, rng())
    inside = (community[u] == community[v]).mean()
    assert inside == pytest.approx(0.8 + 0.2 / 10, abs=0.03)
    # communities are groups of similar skill
    assert np.corrcoef(community, skill)[0, 1] > 0.9


def test_informal_prescribers_gather_around_the_skilled_and_institutional_ones_around_the_less_skilled():
    """Paper 3: informal prescribers grow with competence; institutional ones seek out the left-behind."""
    skill = rng(2).random(2000)
    informal = np.arange(10) < 5
    pu, pv, rank = nets.attach_prescribers(2000, informal, skill, informal_ties=50, institutional_ties=80,
                                           informal_tilt=2.0, institutional_tilt=2.0, rng=rng())
    assert pu.min() == 2000 and pu.max() == 2009
    by_informal = informal[pu - 2000]
    assert skill[pv[by_informal]].mean() > skill.mean() + 0.1
    assert skill[pv[~by_informal]].mean() < skill.mean() - 0.1
    # each prescriber's ties are ranked in draw order, without repeats
    assert rank[by_informal].max() < 50 and rank[~by_informal].max() < 80
    assert np.unique(pu * 10_000 + pv).size == pu.size


def test_a_tilt_of_zero_picks_citizens_at_random():
    skill = rng(3).random(5000)
    pu, pv, _ = nets.attach_prescribers(5000, np.zeros(40, dtype=bool), skill, informal_ties=1,
                                        institutional_ties=100, informal_tilt=0.0, institutional_tilt=0.0, rng=rng())
    assert skill[pv].mean() == pytest.approx(skill.mean(), abs=0.02)


def test_influence_matrix_rows_sum_to_one_and_prescribers_weigh_more():
    u = np.array([0, 0, 1])
    v = np.array([1, 3, 2])  # node 3 is a prescriber (n_citizens = 3)
    adj = nets.adjacency(4, u, v)
    w = nets.influence_matrix(adj, slice(0, 3), 3, 4.0).toarray()
    assert np.allclose(w.sum(axis=1), 1.0)
    assert w[0, 3] == pytest.approx(4 * w[0, 1])


def ring(k):
    """Lines of a ring of k nodes named n0..n{k-1}, as (a, b) pairs."""
    return [(f"n{i}", f"n{(i + 1) % k}") for i in range(k)]


def test_edge_list_and_graphml_files_are_read(tmp_path):
    edgelist = tmp_path / "g.edgelist"
    edgelist.write_text("# a comment\n" + "".join(f"{a} {b}  # tie\n" for a, b in ring(12)) + "n0 n5\n")
    n, u, v = nets.read_network_file(edgelist)
    assert n == 12 and u.size == 13
    graphml = tmp_path / "g.graphml"
    nx.write_graphml(nx.path_graph(15), graphml)
    n, u, v = nets.read_network_file(graphml)
    assert n == 15 and u.size == 14


def karate_ties():
    """Zachary's karate club (34 people, 78 ties) as sorted (u, v) pairs with u < v."""
    g = nx.karate_club_graph()
    return sorted((min(a, b), max(a, b)) for a, b in g.edges())


def as_pairs(u, v):
    return sorted(zip(u.tolist(), v.tolist()))


@pytest.mark.parametrize("suffix, write", [
    (".gexf", nx.write_gexf),
    (".gml", nx.write_gml),
    (".graphml", nx.write_graphml),
    (".edgelist", nx.write_edgelist),  # networkx's default: "0 1 {'weight': 4}" (attributes not used)
])
def test_graph_formats_give_the_karate_club_back(tmp_path, suffix, write):
    """A GEXF file was once read as an edge list: 77 citizens made of XML tokens. Now each format is itself."""
    path = tmp_path / f"karate{suffix}"
    write(nx.karate_club_graph(), path)
    n, u, v = nets.read_network_file(path)
    assert n == 34
    if suffix == ".edgelist":  # nodes are numbered as first seen in the ties: the same graph, renumbered
        assert nx.is_isomorphic(nx.Graph(as_pairs(u, v)), nx.karate_club_graph())
    else:  # node k of the file is citizen k (file order)
        assert as_pairs(u, v) == karate_ties()


def test_a_gml_file_with_labels_that_are_not_ids_is_read_by_id(tmp_path):
    path = tmp_path / "g.gml"
    nodes = "".join(f'  node [ id {i} label "person {i % 3}" ]\n' for i in range(10))  # labels repeat
    edges = "".join(f"  edge [ source {i} target {(i + 1) % 10} ]\n" for i in range(10))
    path.write_text(f"graph [\n{nodes}{edges}]\n")
    n, u, v = nets.read_network_file(path)
    assert n == 10 and u.size == 10


@pytest.mark.parametrize("header", ["", "source,target\n", "Source,Target\n", "from,to\n", "SRC,DST\n",
                                    "node1,node2\n", "# exported\nsource,target\n"])
def test_a_csv_edge_list_with_or_without_header(tmp_path, header):
    path = tmp_path / "g.csv"
    path.write_text(header + "".join(f"{a},{b}\n" for a, b in ring(10)))
    n, u, v = nets.read_network_file(path)
    assert n == 10 and u.size == 10  # a header adds no citizen


def test_a_csv_first_line_of_names_that_are_not_column_names_is_a_tie(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text('alice,bob\n"carol, jr",alice\n' + "".join(f"{a},{b}\n" for a, b in ring(8)))
    n, u, v = nets.read_network_file(path)
    assert n == 11 and u.size == 10  # alice, bob, "carol, jr" (quoted comma) and the ring


@pytest.mark.parametrize("content, said", [
    ("source,target,weight\n" + "".join(f"{a},{b},1\n" for a, b in ring(10)), "header source,target,weight"),
    ("".join(f"{a},{b},1\n" for a, b in ring(10)), "line 1: 3 fields"),
    ("".join(f"{a},{b}\n" for a, b in ring(10)) + "n3\n", "line 11: 1 field;"),
    ("".join(f"{a},{b}\n" for a, b in ring(10)) + "n3,\n", "line 11: an empty node name"),
])
def test_extra_or_missing_csv_columns_are_refused_on_one_line(tmp_path, content, said):
    path = tmp_path / "g.csv"
    path.write_text(content)
    with pytest.raises(nets.NetworkFileError) as err:
        nets.read_network_file(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ") and said in message and "\n" not in message


def test_a_whitespace_edge_list_refuses_a_third_column_but_not_an_attribute_dict(tmp_path):
    path = tmp_path / "g.txt"
    path.write_text("".join(f"{a} {b} {{'weight': 2}}\n" for a, b in ring(10)))
    assert nets.read_network_file(path)[0] == 10
    path.write_text("".join(f"{a} {b} 2\n" for a, b in ring(10)))
    with pytest.raises(nets.NetworkFileError, match="line 1: 3 fields"):
        nets.read_network_file(path)


@pytest.mark.parametrize("name", ["g.xyz", "g.json", "g", "g.graphml.bak"])
def test_an_unknown_suffix_is_refused_with_the_accepted_ones(tmp_path, name):
    path = tmp_path / name
    path.write_text("".join(f"{a} {b}\n" for a, b in ring(10)))
    with pytest.raises(nets.NetworkFileError) as err:
        nets.read_network_file(path)
    message = str(err.value)
    assert message.startswith(f"{path}: unknown network file type") and "\n" not in message
    assert message.endswith("accepted: .csv, .edgelist, .gexf, .gml, .graphml, .txt")


@pytest.mark.parametrize("suffix, write", [(".edgelist", None), (".graphml", nx.write_graphml),
                                           (".gexf", nx.write_gexf), (".gml", nx.write_gml)])
def test_a_network_file_needs_as_many_nodes_as_a_generated_network(tmp_path, suffix, write):
    """One rule for both: n_citizens' lower bound (10)."""
    low = int(PARAMS["n_citizens"].low)
    path = tmp_path / f"g{suffix}"
    for k, ok in ((low - 1, False), (low, True)):
        if write is None:
            path.write_text("".join(f"{a} {b}\n" for a, b in ring(k)))
        else:
            write(nx.cycle_graph(k), path)
        if ok:
            assert nets.read_network_file(path)[0] == low
        else:
            with pytest.raises(nets.NetworkFileError, match=f"has {k} nodes; a network needs from {low} to"):
                nets.read_network_file(path)


def test_isolated_nodes_of_a_graph_file_are_citizens_and_self_loops_and_repeats_count_once(tmp_path):
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(12))  # 10 and 11 have no tie
    g.add_edges_from([(i, (i + 1) % 10) for i in range(10)] + [(1, 0), (0, 1), (3, 3)])
    path = tmp_path / "g.graphml"
    nx.write_graphml(g, path)
    n, u, v = nets.read_network_file(path)
    assert n == 12 and as_pairs(u, v) == sorted((min(i, (i + 1) % 10), max(i, (i + 1) % 10)) for i in range(10))


def test_a_broken_network_file_gives_one_line(tmp_path):
    bad = tmp_path / "bad.graphml"
    bad.write_text("<graphml><oops")
    with pytest.raises(nets.NetworkFileError) as err:
        nets.read_network_file(bad)
    assert "bad.graphml" in str(err.value) and "\n" not in str(err.value)


def test_simple_and_first_of_each_agree_with_numpy_unique():
    """The sort-based de-duplication returns exactly what np.unique did."""
    r = rng(4)
    u, v = r.integers(0, 300, 5000), r.integers(0, 300, 5000)
    su, sv = nets._simple(u, v, 300)
    keep = u != v
    key = np.unique(np.minimum(u, v)[keep] * 300 + np.maximum(u, v)[keep])
    assert np.array_equal(su, key // 300) and np.array_equal(sv, key % 300)
    keys = r.integers(0, 50, 2000)
    assert np.array_equal(nets._first_of_each(keys), np.unique(keys, return_index=True)[1])


def test_influence_weights_sum_each_row_from_its_last_column():
    """The order two sparse products once summed in, so weights stay the same to the bit."""
    u = np.array([0, 0, 0, 0, 1])
    v = np.array([1, 2, 4, 5, 2])  # nodes 4 and 5 are prescribers (n_citizens = 4)
    adj = nets.adjacency(6, u, v)
    w = nets.influence_matrix(adj, slice(0, 4), 4, 0.1)
    total = 0.1 + 0.1 + 1.0 + 1.0  # row 0, columns 5, 4, 2, 1
    assert w[0, 1] == 1.0 / total and w[0, 4] == 0.1 * (1.0 / total)
    assert np.diff(w.indptr).tolist() == [4, 2, 2, 0]  # node 3 has no tie: an empty row


def test_complete_graph_is_refused_when_too_large():
    with pytest.raises(ValueError, match="limited"):
        nets.complete_edges(nets.COMPLETE_MAX + 1)


@pytest.mark.parametrize("smallest, largest_column", [(0, 2**30), (nets.COLUMNWISE_MIN_BLOCK, 2**30), (0, 1000)])
def test_a_columnwise_product_is_scipys_to_the_bit(monkeypatch, smallest, largest_column):
    """Column by column on a column-major block within the window, scipy's own product otherwise."""
    monkeypatch.setattr(nets, "COLUMNWISE_MIN_BLOCK", smallest)
    monkeypatch.setattr(nets, "COLUMNWISE_MAX_COLUMN", largest_column)
    r = rng(5)
    n = 3000
    u, v = nets.scale_free_edges(n, 6, 2.5, r)
    plain = nets.influence_matrix(nets.adjacency(n, u, v), slice(0, n), n, 1.0)
    block = np.asfortranarray(r.random((n, 5)))
    product = nets.ColumnwiseCsr(plain) @ block
    assert np.array_equal(product, plain @ block)  # the same sums in the same order
    assert product.flags.f_contiguous == (smallest == 0 and largest_column > n * 8)
    assert np.array_equal(nets.ColumnwiseCsr(plain) @ block[:, 2], plain @ block[:, 2])  # a vector: scipy's
    c_block = np.ascontiguousarray(block)
    assert np.array_equal(nets.ColumnwiseCsr(plain) @ c_block, plain @ c_block)
