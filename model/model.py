"""``CrmModel``: who exists, the weekly schedule, and the metrics collected.

Build it from a validated :class:`~model.scenario.Scenario` and a seed, or
from keyword overrides of any parameter (what the browser sliders do)::

    >>> from model import CrmModel
    >>> m = CrmModel(rng=1, n_citizens=200, faq_quality=0.5)
    >>> m.run(3).shape[0]
    4

One numpy Generator (``self.rng``, from Mesa's ``Model(rng=...)``) drives every
draw, so the same seed gives the same series.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import mesa
import numpy as np
import pandas as pd
import scipy.sparse as sp

from model import network as nets
from model.agents import Administration, Channel, Citizen, CitizenArrays, Prescriber
from model.metrics import measure
from model.phases import (
    Tally,
    Week,
    arise_needs,
    choose_channels,
    collect_voice_and_adapt,
    deliberate,
    diffuse,
    resolve_requests,
    seek_redress,
    update_trust,
)
from model.scenario import Scenario, parse_scenario

__all__ = ["CrmModel"]


class CrmModel(mesa.Model):
    """Citizens, prescribers and administrations under a mediation policy.

    Args:
        scenario: a validated scenario (default: the baseline with all defaults).
        rng: seed or Generator; defaults to the scenario's seed.
        **overrides: any parameter by name, e.g. ``faq_quality=0.5``; validated.
    """

    def __init__(self, scenario: Scenario | None = None, *, rng: Any = None, **overrides: Any) -> None:
        scenario = scenario or parse_scenario({})
        if overrides:
            scenario = scenario.with_values(overrides)
        super().__init__(rng=scenario.seed if rng is None else rng)
        self.spec = scenario  # (Mesa reserves `scenario` for its own type)
        self.p = SimpleNamespace(**scenario.flat())
        self.week = Week()
        self.last_week = Week()
        self.tally = Tally()
        self._build_network_and_people()
        # One record of every metric per step. Not Mesa's DataCollector: it calls
        # each reporter alone, while measure() lets the trust metrics share work.
        self.records: list[dict[str, float]] = [measure(self)]

    # -- construction ---------------------------------------------------------------
    def _build_network_and_people(self) -> None:
        p, rng = self.p, self.rng
        missions = self.spec.missions()
        n = p.n_citizens
        if p.topology == "file":
            n, u, v = nets.read_network_file(p.network_file)
        self.n_citizens = n
        role_share = np.array([m.role_share for m in missions.values()])
        self.citizens = c = CitizenArrays.create(n, len(missions), role_share, p, rng)
        if p.topology == "small_world":
            u, v = nets.small_world_edges(n, p.mean_degree, p.rewire, rng)
        elif p.topology == "scale_free":
            u, v = nets.scale_free_edges(n, p.mean_degree, p.degree_exponent, rng)
        elif p.topology == "communities":
            u, v, _ = nets.community_edges(n, p.mean_degree, p.n_communities, p.homophily, c.skill, rng)
        elif p.topology == "complete":
            u, v = nets.complete_edges(n)
        pu, pv = nets.attach_prescribers(n, p.n_prescribers, p.prescriber_ties, c.skill, rng)
        self.edges = (np.concatenate([u, pu]), np.concatenate([v, pv]))
        self.n_prescribers = p.n_prescribers
        n_nodes = n + p.n_prescribers
        adj = nets.adjacency(n_nodes, *self.edges)
        influence = nets.influence_matrix(adj, slice(0, n), n, p.prescriber_weight)
        self.has_ties = (np.diff(influence.indptr) > 0).astype(np.float64)
        self.everyone_tied = bool(self.has_ties.all())
        self.anyone_tied = bool(self.has_ties.any())
        # W split by whose value is read (citizens', prescribers'), so diffusion never stacks the two.
        self.from_citizens = nets.compact(sp.csr_array(influence[:, :n]))
        self.from_prescribers = nets.compact(sp.csr_array(influence[:, n:]))
        clients = sp.csr_array(adj[n:, :n]) if p.n_prescribers else sp.csr_array((0, n))
        count = np.asarray(clients.sum(axis=1)).ravel()
        self.clients_mean = sp.csr_array(sp.diags_array(np.divide(1.0, count, out=np.zeros_like(count),
                                                                    where=count > 0)) @ clients)

        self.role_members = [np.flatnonzero(c.roles[:, a]) for a in range(len(missions))]
        self.role_counts = np.array([m.size for m in self.role_members])
        # Row i averages citizen i's trust over their administrations (all of them if they have no role).
        weights = np.where(c.roles.any(axis=1, keepdims=True), c.roles, True).astype(np.float64)
        self.role_weights = weights / weights.sum(axis=1, keepdims=True)
        quartile = np.quantile(c.skill, [0.25, 0.75])
        self.bottom_quartile = c.skill <= quartile[0]
        self.top_quartile = c.skill >= quartile[1]
        # values . skill_gap_weights = mean over the top quartile - mean over the bottom quartile
        self.skill_gap_weights = (self.top_quartile / self.top_quartile.sum()
                                  - self.bottom_quartile / self.bottom_quartile.sum())

        self.administrations = [Administration(self, column, name, mission)
                                for column, (name, mission) in enumerate(missions.items())]
        n_funded = int(round(p.funded_prescribers * p.n_prescribers))
        funded = np.zeros(p.n_prescribers, dtype=bool)
        funded[rng.permutation(p.n_prescribers)[:n_funded]] = True
        self.prescribers = [
            Prescriber(self, n + j, funded=bool(funded[j]),
                       capacity=int(p.funded_capacity if funded[j] else p.prescriber_capacity),
                       knowledge=min(1.0, p.prescriber_knowledge + (0.15 if funded[j] else 0.0)),
                       bundles=bool(p.prescriber_bundling))
            for j in range(p.n_prescribers)
        ]
        self.prescriber_capacity = np.array([a.capacity for a in self.prescribers], dtype=np.int64)
        self.prescriber_knowledge = np.array([a.knowledge for a in self.prescribers], dtype=np.float64)
        if p.knowledge_model == "binary":  # yes/no knowledge: prescribers are the informed
            self.prescriber_knowledge[:] = 1.0
        # A citizen's prescriber is the first one tied to them.
        first_tie = np.full(n, -1, dtype=np.int64)
        citizens_tied, prescriber_nodes = pv[::-1], pu[::-1]
        first_tie[citizens_tied] = prescriber_nodes
        c.prescriber[:] = first_tie
        tied = first_tie >= 0
        self.funded_tie = np.zeros(n, dtype=bool)
        self.funded_tie[tied] = funded[first_tie[tied] - n]
        self.bundling_tie = tied & bool(p.prescriber_bundling)
        self.citizen_agents = [Citizen(self, i) for i in range(n)]

        staff = np.array([a.staff for a in self.administrations])
        self.counter_capacity = staff * p.counter_staff * n / 1000.0
        zeros = lambda: np.zeros(len(self.administrations))  # noqa: E731
        self.counter_credit, self.counter_load, self.counter_wait, self.redress_credit = zeros(), zeros(), zeros(), zeros()
        self.redress_capacity = np.full(len(self.administrations), p.redress_capacity * n / 1000.0)  # cases a week
        self.counter_backlog = False
        self.pending_redress = 0
        self.lost_ever = np.zeros(n, dtype=bool)
        # Official pages reach citizens in proportion to skill, averaging `broadcast` a week.
        reach = c.skill / c.skill.mean() if c.skill.mean() > 0 else np.ones(n)
        self.page_share = np.minimum(p.broadcast * reach, 1.0)
        self.device_gain = np.zeros(len(Channel.NAMES))
        self.device_gain[[Channel.FAQ, Channel.PUBLIC_QA, Channel.FORUM]] = [p.faq_quality, p.public_qa,
                                                                              0.5 * p.forum]

    # -- views used by the phases -----------------------------------------------------
    @property
    def complexity(self) -> np.ndarray:
        return np.array([a.complexity for a in self.administrations])

    @property
    def quality(self) -> np.ndarray:
        return np.array([a.quality for a in self.administrations])

    # -- the schedule -------------------------------------------------------------------
    def step(self) -> None:
        """One week, in the order of the paper."""
        self.last_week, self.week = self.week, Week()
        arise_needs(self)  # 1. needs arise per role
        choose_channels(self)  # 2. online, help device, prescriber, counter or give up
        resolve_requests(self)  # 3. success or failure
        deliberate(self)  # 4. FAQ, public Q&A, forum: knowledge
        seek_redress(self)  # 5. recourse
        update_trust(self)  # 6. expectation vs outcome
        diffuse(self)  # 7. knowledge and trust along ties
        collect_voice_and_adapt(self)  # 8. collective voice, administrations adapt
        for prescriber in self.prescribers:
            prescriber.step()
        self.records.append(measure(self))

    def run(self, steps: int | None = None) -> pd.DataFrame:
        """Run ``steps`` weeks (default: the scenario's) and return the per-step table."""
        for _ in range(self.spec.steps if steps is None else steps):
            self.step()
        return self.series()

    def series(self) -> pd.DataFrame:
        """Metrics at every step so far; row 0 is the initial state."""
        table = pd.DataFrame.from_records(self.records)
        table.insert(0, "step", np.arange(len(table)))
        return table

    def final_metrics(self) -> dict[str, float]:
        """Every metric now."""
        return measure(self)

    @property
    def graph(self):
        """The social network as a networkx graph (built on first use)."""
        if getattr(self, "_graph", None) is None:
            self._graph = nets.to_networkx(self.n_citizens, self.n_prescribers, *self.edges)
        return self._graph
