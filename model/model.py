"""``CrmModel``: who exists, the weekly schedule, the warm-up, and the metrics collected.

Build it from a validated :class:`~model.scenario.Scenario` and a seed, or
from keyword overrides of any parameter (what the browser sliders do)::

    >>> from crmsim.model import CrmModel
    >>> m = CrmModel(rng=1, n_citizens=200, faq_quality=0.5, warmup=10)
    >>> m.run(3).shape[0]
    4

A model first runs ``warmup`` weeks under the baseline levers (the
``supply_front_office`` supply), so that knowledge, trust, queues and the
supply settle; then the scenario's policy switches on and the recorded series
starts (row 0: the settled state, before the policy's first week). Every
comparison is so "the same population at its steady state, then the policy".

One numpy Generator (``self.rng``, from Mesa's ``Model(rng=...)``) drives every
draw, so the same seed gives the same series; and since the warm-up does not
depend on the policy, runs with the same seed share it exactly, which
:meth:`CrmModel.branch` exploits.
"""

from __future__ import annotations

import copy
from functools import partial
from types import SimpleNamespace
from typing import Any, NamedTuple, Sequence

import mesa
import numpy as np
import pandas as pd
import scipy.sparse as sp

from crmsim.model import costs
from crmsim.model import network as nets
from crmsim.model.agents import Administration, Channel, Citizen, CitizenArrays, Prescriber, PrescriberArrays
from crmsim.model.metrics import METRICS, measure
from crmsim.model.phases import (
    Cases,
    RatingBoard,
    Tally,
    Week,
    YearLedger,
    arise_needs,
    choose_channels,
    collect_voice_and_adapt,
    deliberate,
    diffuse,
    resolve_requests,
    seek_redress,
    update_trust,
)
from crmsim.model.scenario import Scenario, parse_scenario
from crmsim.model.sizing import prescriber_count

__all__ = ["CrmModel"]


class EventColumns(NamedTuple):
    """A life event as the needs phase uses it: its yearly rate and the administration columns it concerns."""

    rate: float
    always: tuple[int, ...]
    if_role: tuple[int, ...]


def _recorded(model: "CrmModel", name: str) -> float:
    """A metric as the week's one :func:`measure` record has it (the data collector's reporters read it)."""
    return model._collecting[name]


# Mesa's DataCollector reporters: each reads its metric from the week's record, so collecting
# costs a dictionary lookup per metric, not a second measurement (partials, so that models pickle).
REPORTERS = {name: partial(_recorded, name=name) for name in METRICS}


class CrmModel(mesa.Model):
    """Citizens, prescribers and administrations under a mediation policy.

    Args:
        spec: a validated crmsim scenario (default: the baseline with all defaults).
        rng: seed or Generator; defaults to the scenario's seed.
        scenario: Mesa's own parameter object (``mesa.experimental.scenarios.Scenario``),
            which Mesa's tools pass by this name (SolaraViz's Reset does): its values
            are applied like ``overrides``, and its ``rng``, if set, seeds the model.
        **overrides: any parameter by name, e.g. ``faq_quality=0.5``, or
            ``warmup``/``steps``; validated.

    ``datacollector`` is a Mesa ``DataCollector`` holding the same rows as
    :meth:`series` (row 0: the settled state), so Mesa's ``batch_run`` and
    ``make_plot_component`` work on the model.
    """

    def __init__(self, spec: Scenario | None = None, *, rng: Any = None,
                 scenario: mesa.experimental.scenarios.Scenario | None = None, **overrides: Any) -> None:
        spec, rng = self.resolve(spec, rng=rng, scenario=scenario, **overrides)
        super().__init__(rng=rng)
        self.spec = spec  # (Mesa's own parameter object is `self.scenario`)
        self.p = SimpleNamespace(**spec.warmup_flat())
        self.week = Week()
        self.last_week = Week()
        self.tally = self._new_tally()  # what this week counts; the ledger keeps the last 52 weeks of them
        self.ledger = YearLedger(self.tally)
        self.cases = Cases()
        self.records: list[dict[str, float]] = []
        self.policy_on = False  # false during the warm-up
        self.policy_weeks = 0  # weeks run since the policy switched on
        # Whether each policy week appends its metrics to ``records``: all (True), none (False), or the names given.
        self.recording: bool | tuple[str, ...] = False
        self._build_network_and_people()
        self._apply_levers()
        for _ in range(spec.warmup):
            self.step()
        self._start_policy(spec)

    @staticmethod
    def resolve(spec: Scenario | None = None, *, rng: Any = None,
                scenario: mesa.experimental.scenarios.Scenario | None = None,
                **overrides: Any) -> tuple[Scenario, Any]:
        """The scenario and seed a model made with these arguments runs (see the class): validated, not built."""
        spec = spec or parse_scenario({})
        if scenario is not None:
            rng = scenario.rng if rng is None else rng
            overrides = {**{k: v for k, v in scenario if k != "rng"}, **overrides}
        if overrides:
            spec = spec.with_values(overrides)
        return spec, spec.seed if rng is None else rng

    # -- construction ---------------------------------------------------------------
    def _build_network_and_people(self) -> None:
        p, rng = self.p, self.rng
        missions = self.spec.missions()
        column = {name: j for j, name in enumerate(missions)}
        n = p.n_citizens
        if p.topology == "file":
            n, u, v = nets.read_network_file(p.network_file)
        self.n_citizens = n
        self.citizens = c = CitizenArrays.create(n, missions, self.spec.age_groups(), p, rng)
        if p.topology == "small_world":
            u, v = nets.small_world_edges(n, p.mean_degree, p.rewire, rng)
        elif p.topology == "scale_free":
            u, v = nets.scale_free_edges(n, p.mean_degree, p.degree_exponent, rng)
        elif p.topology == "communities":
            u, v, _ = nets.community_edges(n, p.mean_degree, p.n_communities, p.homophily, c.skill, rng)
        elif p.topology == "complete":
            u, v = nets.complete_edges(n)
        self.n_prescribers = n_pres = prescriber_count(p.prescribers_per_1000, n)
        informal = np.zeros(n_pres, dtype=bool)
        informal[rng.permutation(n_pres)[:int(round(p.informal_share * n_pres))]] = True
        self.citizen_edges = (u, v)
        self.prescriber_ties = nets.attach_prescribers(
            n, informal, c.skill, informal_ties=p.prescriber_ties,
            institutional_ties=max(p.prescriber_ties, p.funded_ties), informal_tilt=p.informal_tilt,
            institutional_tilt=p.institutional_tilt, rng=rng)

        self.role_members = [np.flatnonzero(c.roles[:, a]) for a in range(len(missions))]
        self.role_counts = np.array([m.size for m in self.role_members])
        # Row i averages citizen i's trust over their administrations (all of them if they have no role).
        # Column-major like the trust it weighs: the metrics' einsum over both is then five times faster
        # (the same sums, in the same order).
        weights = np.where(c.roles.any(axis=1, keepdims=True), c.roles, True).astype(np.float64)
        self.role_weights = np.asfortranarray(weights / weights.sum(axis=1, keepdims=True))
        quartile = np.quantile(c.skill, [0.25, 0.75])
        self.bottom_quartile = c.skill <= quartile[0]
        self.top_quartile = c.skill >= quartile[1]
        # 0 (least skilled) to 3 (most): who gains and who loses, by digital skill (paper 2.1)
        self.skill_quartile = np.clip(np.searchsorted(np.quantile(c.skill, [0.25, 0.5, 0.75]), c.skill), 0, 3)
        self.quartile_sizes = np.bincount(self.skill_quartile, minlength=4)
        # Citizens aged 16 to 74: whom Eurostat's ICT surveys ask (online use is compared on them)
        survey = [k for k, group in enumerate(self.spec.age_groups().values()) if group.survey]
        self.survey_ages = np.isin(c.age, survey)
        # values . skill_gap_weights = mean over the top quartile - mean over the bottom quartile
        self.skill_gap_weights = (self.top_quartile / self.top_quartile.sum()
                                  - self.bottom_quartile / self.bottom_quartile.sum())

        self.administrations = [Administration(self, j, name, mission)
                                for j, (name, mission) in enumerate(missions.items())]
        self.life_events = [EventColumns(e.rate, tuple(column[a] for a in e.always),
                                         tuple(column[a] for a in e.if_role)) for e in self.spec.events().values()]
        institutional = np.flatnonzero(~informal)
        self.prescriber_state = PrescriberArrays(
            informal=informal, funded=np.zeros(n_pres, dtype=bool), capacity=np.zeros(n_pres, dtype=np.int64),
            knowledge=np.full(n_pres, float(p.prescriber_knowledge)), helped=np.zeros(n_pres, dtype=np.int64),
            funding_order=institutional[rng.permutation(institutional.size)])
        self.prescribers = [Prescriber(self, j) for j in range(n_pres)]
        self.ratings_board = RatingBoard.empty(len(self.administrations), n_pres)  # empty while ratings are 0
        self._citizen_agents: list[Citizen] | None = None  # created on first use: see `citizen_agents`

        zeros = lambda: np.zeros(len(self.administrations))  # noqa: E731
        self.counter_credit, self.counter_load, self.counter_wait, self.redress_credit = zeros(), zeros(), zeros(), zeros()
        self.counter_backlog = False
        # Official pages reach citizens in proportion to skill (never those who never go online), averaging
        # `broadcast` a week.
        online_skill = c.skill * ~c.offline
        reach = online_skill / online_skill.mean() if online_skill.mean() > 0 else np.zeros(n)
        self.page_share = np.minimum(p.broadcast * reach, 1.0)

    def _apply_levers(self) -> None:
        """Derive from the levers in ``self.p`` everything the phases read (no random draw: see ``branch``)."""
        p, c, n = self.p, self.citizens, self.n_citizens
        staff = np.array([a.staff for a in self.administrations])
        self.counter_capacity = staff * p.counter_staff * n / 1000.0  # contacts a week
        self.redress_capacity = np.full(len(self.administrations), p.redress_capacity * n / 1000.0)  # cases a week
        state = self.prescriber_state
        n_institutional = state.funding_order.size
        state.funded[:] = False
        state.funded[state.funding_order[:int(round(p.funded_prescribers * n_institutional))]] = True
        state.capacity[:] = np.where(state.funded, p.funded_capacity, p.prescriber_capacity)
        self._wire()
        tied = c.helper >= 0
        self.funded_tie = np.zeros(n, dtype=bool)
        self.funded_tie[tied] = state.funded[c.helper[tied] - n]
        self.bundling_tie = tied & bool(p.prescriber_bundling)
        self.hours_by_channel = np.zeros(len(Channel.NAMES))  # a citizen's hours per request (model.costs)
        self.hours_by_channel[list(Channel.ONLINE_KINDS)] = p.hours_online
        self.hours_by_channel[Channel.PRESCRIBER] = p.hours_prescriber
        self.hours_by_channel[Channel.COUNTER] = p.hours_counter
        self.device_gain = np.zeros(len(Channel.NAMES))
        self.device_gain[[Channel.FAQ, Channel.PUBLIC_QA, Channel.FORUM]] = [
            p.faq_quality, p.public_qa, p.forum_answer_quality * p.forum]

    def _wire(self) -> None:
        """The network as it stands: citizens' ties, plus each prescriber's first ties (more when funded).

        Builds the row-normalised influence matrix ``W`` (prescribers weigh
        ``prescriber_weight`` ordinary ties), split by whose value is read so
        that diffusion never stacks the two, and each citizen's helper: the
        first institutional prescriber tied to them if any, else the first
        informal one. Nothing here is random, so when neither the active ties
        nor the weight changed (the policy left funding alone) the network is
        kept as it is: at a million citizens this saves a second.
        """
        p, c, n, n_pres = self.p, self.citizens, self.n_citizens, self.n_prescribers
        pu, pv, rank = self.prescriber_ties
        follows = np.where(self.prescriber_state.funded, p.funded_ties, p.prescriber_ties)
        active = rank < follows[pu - n]
        wiring = getattr(self, "_wiring", None)
        if wiring is not None and wiring[1] == p.prescriber_weight and np.array_equal(wiring[0], active):
            return
        self._wiring = (active, p.prescriber_weight)
        pu, pv = pu[active], pv[active]
        adj = nets.adjacency(n + n_pres, *self.edges)
        influence = nets.influence_matrix(adj, slice(0, n), n, p.prescriber_weight)
        self.has_ties = (np.diff(influence.indptr) > 0).astype(np.float64)
        self.everyone_tied = bool(self.has_ties.all())
        self.anyone_tied = bool(self.has_ties.any())
        self.from_citizens = nets.ColumnwiseCsr(nets.compact(sp.csr_array(influence[:, :n])))
        from_prescribers = nets.compact(sp.csr_array(influence[:, n:]))
        del influence
        # Only the rows of citizens tied to a prescriber (a few percent): the product then
        # costs its ties, not a row per citizen.
        self.prescriber_rows = np.flatnonzero(np.diff(from_prescribers.indptr) > 0)
        self.from_prescribers = nets.compact(sp.csr_array(from_prescribers[self.prescriber_rows]))
        clients = sp.csr_array(adj[n:, :n]) if n_pres else sp.csr_array((0, n))
        del adj
        count = np.asarray(clients.sum(axis=1)).ravel()
        # A sparse product, whose rows come out in descending column order: the order clients_mean @ trust
        # has always summed in (a small matrix: one row per prescriber).
        self.clients_mean = sp.csr_array(sp.diags_array(np.divide(1.0, count, out=np.zeros_like(count),
                                                                    where=count > 0)) @ clients)
        c.helper[:] = -1
        order = np.lexsort((pu, self.prescriber_state.informal[pu - n], pv))
        citizens_tied, first = np.unique(pv[order], return_index=True)
        c.helper[citizens_tied] = pu[order][first]
        self._graph = None

    @property
    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Every tie as two node arrays ``(u, v)``: the citizens' ties, then the prescribers' active ties.

        Concatenated on each use (the step never needs it): keeping the copy cost 48 bytes a citizen.
        """
        pu, pv, _ = self.prescriber_ties
        active = self._wiring[0]
        return (np.concatenate([self.citizen_edges[0], pu[active]]),
                np.concatenate([self.citizen_edges[1], pv[active]]))

    def _new_tally(self) -> Tally:
        return Tally.for_admins(len(self.spec.missions()), len(costs.ITEMS))

    @property
    def year(self) -> Tally:
        """What the last 52 weeks counted (every rate metric reads it): continuous since the model's first week,
        through the warm-up and across a policy switch."""
        return self.ledger.year()

    def _start_policy(self, scenario: Scenario) -> None:
        """Switch the scenario's levers on and start the recorded series (row 0: the state now).

        Nothing restarts: yearly rates go on reading the last 52 weeks, which
        are, for a year, partly weeks of the policy before.
        """
        self.spec = scenario
        self.p = SimpleNamespace(**scenario.flat())
        self._apply_levers()
        self.policy_on, self.policy_weeks, self.recording = True, 0, True
        self.records = [measure(self)]
        self._collector = mesa.DataCollector(model_reporters=REPORTERS)
        self._policy_start = self.time  # Mesa's time of row 0
        self._stop_when_done()

    def branch(self, scenario: Scenario, *, copy_model: bool = True) -> "CrmModel":
        """A copy of this freshly warmed-up model with ``scenario``'s policy switched on instead.

        Identical, row for row, to ``CrmModel(scenario, rng=<this model's seed>)``,
        without running the warm-up again. ``scenario`` may differ from this
        model's only in its policy, levers, steps and name.

        With ``copy_model=False`` this model itself switches to ``scenario`` and
        is returned: the last branch of a warm-up needs no copy.

        Raises ValueError if this model has already run a policy week, or if the
        scenarios differ in anything else.
        """
        if self.policy_weeks != 0:
            raise ValueError("branch a model right after its warm-up, before its first policy week")
        if scenario.world() != self.spec.world():
            raise ValueError("a branch may change the policy, the levers and the steps only")
        twin = copy.deepcopy(self) if copy_model else self
        twin._start_policy(scenario)
        return twin

    def switch_policy(self, scenario: Scenario) -> None:
        """Switch to ``scenario``'s policy now, mid-run: a new recorded period starts.

        What citizens carry (trust, knowledge, skill, their ties and open
        requests) carries over, and so do the yearly rates: they read the last
        52 weeks, the policy before included until a year has passed. The
        recorded series starts again from this week. The teacher's page plays
        a story's stages this way (``viz/story.py``). Draws nothing from the
        random generator.

        Raises ValueError if ``scenario`` differs in anything but the policy,
        levers, prices, steps and name.
        """
        if scenario.world() != self.spec.world():
            raise ValueError("a switch may change the policy, the levers, the prices and the steps only")
        self._start_policy(scenario)

    # -- Mesa's agents -------------------------------------------------------------------
    # A Citizen agent is a view over one row of the citizen arrays, and the step never needs
    # one; a million of them take 3 s and 230 MB. So they are made the first time anyone asks
    # for them, through any of the ways below, and then registered with Mesa as they would have
    # been at build time: after the administrations and prescribers, in row order (so with the
    # same unique_ids). Making them draws nothing from any random generator.
    def _agents_made(self) -> None:
        """Create the citizen agents if they are due (the build is over) and not made yet."""
        if self.__dict__.get("_citizen_agents", False) is None:
            self._citizen_agents = [Citizen(self, i) for i in range(self.n_citizens)]

    @property
    def citizen_agents(self) -> list[Citizen]:
        """One :class:`~model.agents.Citizen` per row of ``self.citizens``, in row order (made on first use)."""
        self._agents_made()
        return self._citizen_agents

    @property
    def agents(self) -> mesa.agent.AgentSet:
        """Mesa's set of every agent, citizens included (made on first use)."""
        self._agents_made()
        return super().agents

    @agents.setter
    def agents(self, value: Any) -> None:
        mesa.Model.agents.fset(self, value)  # Mesa refuses, with its own message

    @property
    def agents_by_type(self) -> dict[type, mesa.agent.AgentSet]:
        """Mesa's agents by type, citizens included (made on first use)."""
        self._agents_made()
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        self._agents_made()
        return super().agent_types

    def remove_all_agents(self) -> None:
        """Mesa's removal of every agent, citizens included (as when they were made at build time)."""
        self._agents_made()
        super().remove_all_agents()

    # -- views used by the phases -----------------------------------------------------
    @property
    def complexity(self) -> np.ndarray:
        return np.array([a.complexity for a in self.administrations])

    @property
    def quality(self) -> np.ndarray:
        return np.array([a.quality for a in self.administrations])

    def helper_knowledge(self, who: np.ndarray) -> np.ndarray:
        """The current knowledge of each citizen's prescriber (0 for a citizen with none)."""
        j = self.citizens.helper[who] - self.n_citizens
        has = j >= 0
        if not has.any():
            return np.zeros(who.size)
        return np.where(has, self.prescriber_state.knowledge[np.where(has, j, 0)], 0.0)

    # -- the schedule -------------------------------------------------------------------
    def step(self) -> None:
        """One week, in the order of the paper."""
        self.last_week, self.week = self.week, Week()
        self.tally = self._new_tally()
        arise_needs(self)  # 1. needs arise per role and from life events
        choose_channels(self)  # 2. act or give up; online, help device, prescriber or counter
        resolve_requests(self)  # 3. success or failure
        deliberate(self)  # 4. obsolescence, contacts, FAQ, public Q&A, forum
        seek_redress(self)  # 5. recourse
        update_trust(self)  # 6. memory, experience, procedure, publication
        diffuse(self)  # 7. pages; knowledge and trust along ties
        collect_voice_and_adapt(self)  # 8. collective voice, administrations adapt
        self.tally.euros = costs.week_euros(self)
        self.ledger.close(self.tally)
        if self.policy_on:
            self.policy_weeks += 1
            if self.recording:
                self.records.append(measure(self, None if self.recording is True else self.recording))
            self._stop_when_done()

    def _stop_when_done(self) -> None:
        """Mesa's ``running``: false once the scenario's ``steps`` policy weeks are recorded (row 0 is the start).

        So ``run_model()`` (Mesa's ``while running: step()``) and the browser's
        play button stop there; :meth:`run` may go on past it.
        """
        self.running = self.policy_weeks < self.spec.steps

    def run(self, steps: int | None = None, *, record: bool | Sequence[str] = True) -> pd.DataFrame:
        """Run ``steps`` weeks of the policy (default: the scenario's) and return the per-step table.

        With ``record=False`` the weeks run without recording their metrics
        (about a third of a week's cost at a thousand citizens), for callers
        that read only the end, as calibration does: :meth:`final_metrics`.
        With a list of metric names, only those are recorded and returned (a
        sweep keeps a few series and reads the rest once, at the end).
        """
        subset = None if isinstance(record, bool) else tuple(record)
        recording, self.recording = self.recording, self.recording and (subset if subset is not None else record)
        try:
            for _ in range(self.spec.steps if steps is None else steps):
                self.step()
        finally:
            self.recording = recording
        return self.series(subset)

    @property
    def datacollector(self) -> mesa.DataCollector:
        """Mesa's ``DataCollector``: the rows of :meth:`series`, at Mesa's times (the warm-up counted).

        Its reporters read each week's one :func:`measure` record. It collects
        the weeks recorded since it was last read, when it is read: collecting
        every week cost 6% of a week at a thousand citizens (Mesa copies each
        value), for tables most runs never read.
        """
        collector = self._collector
        if any(len(record) != len(METRICS) for record in self.records):
            raise ValueError("this model recorded only some metrics (run(record=[...])); Mesa's DataCollector "
                             "reads them all: run it with record=True")
        for week in range(len(collector._collection_steps), len(self.records)):
            self._collecting = self.records[week]
            collector.collect(self)
            collector._collection_steps[-1] = self._policy_start + week
        return collector

    def series(self, names: Sequence[str] | None = None) -> pd.DataFrame:
        """Metrics (every one, or ``names``) at every policy week so far; row 0 is the state at the end of the
        warm-up."""
        table = pd.DataFrame.from_records(self.records)
        if names is not None:
            table = table[list(names)]
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
