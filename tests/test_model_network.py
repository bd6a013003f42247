"""Network builders: sizes, degrees, homophily, files, prescribers, CSR weights."""

import networkx as nx
import numpy as np
import pytest

from crmsim.model import network as nets


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


def test_edge_list_and_graphml_files_are_read(tmp_path):
    edgelist = tmp_path / "g.edgelist"
    edgelist.write_text("# a comment\na b\nb c\nc a\nc d\n")
    n, u, v = nets.read_network_file(edgelist)
    assert n == 4 and u.size == 4
    graphml = tmp_path / "g.graphml"
    nx.write_graphml(nx.path_graph(5), graphml)
    n, u, v = nets.read_network_file(graphml)
    assert n == 5 and u.size == 4
    csv = tmp_path / "g.csv"
    csv.write_text("1,2\n2,3\n")
    assert nets.read_network_file(csv)[0] == 3


def test_a_broken_network_file_gives_one_line(tmp_path):
    bad = tmp_path / "bad.graphml"
    bad.write_text("<graphml><oops")
    with pytest.raises(nets.NetworkFileError) as err:
        nets.read_network_file(bad)
    assert "bad.graphml" in str(err.value) and "\n" not in str(err.value)


def test_complete_graph_is_refused_when_too_large():
    with pytest.raises(ValueError, match="limited"):
        nets.complete_edges(nets.COMPLETE_MAX + 1)
