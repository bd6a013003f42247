"""The three kinds of agent: citizens, prescribers and administrations.

Citizens are many, so their state lives in numpy arrays owned by the model
(:class:`CitizenArrays`, one array per attribute) and each :class:`Citizen`
is a thin Mesa agent over its row: ``citizen.knowledge`` reads and writes
``model.citizens.knowledge[citizen.index]``. The step works on whole arrays,
so the model makes the citizen agents only when someone asks for them
(``model.citizen_agents``, ``model.agents``, ``model.agents_by_type``).

Prescribers and administrations are few and ordinary Mesa agents. A prescriber
is an intermediary hub (paper, section 3) of one of two kinds: informal
(informed peers, associations) or institutional (social workers, public
writers, one-stop help desks). Its knowledge, capacity and funding live in the
model's prescriber arrays, which the step reads whole; the agent is a view over
its entry. An administration holds its mission's supply (complexity, quality,
staff), lets it wear back toward the mission's own level, and adapts it when
collected voice passes a threshold (paper, section 2.2) in its
:meth:`Administration.step`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import mesa
import numpy as np

from crmsim.model.administrations import Mission
from crmsim.model.ages import AgeGroup, offline_rates, role_multiples, skill_means
from crmsim.model.costs import WEEKS_PER_YEAR

if TYPE_CHECKING:
    from crmsim.model.model import CrmModel

__all__ = ["NEVER", "Channel", "CitizenArrays", "Citizen", "Prescriber", "Administration", "beta_draws", "beta_shape"]


NEVER = -(2**30)  # the week of something that never happened (a citizen's ``last_*`` weeks)


class Channel:
    """Channel codes of a request (paper, section 2.1-2.2 and 3)."""

    NONE = -1
    ONLINE = 0  # self-service pages and forms
    FAQ = 1  # online, helped by an FAQ/helpdesk answer
    PUBLIC_QA = 2  # online, helped by a published answer
    FORUM = 3  # online, helped by a peer on the forum
    PRESCRIBER = 4  # helped through the procedure by a prescriber
    COUNTER = 5  # counter or phone (staff-limited)
    GIVE_UP = 6  # non-take-up

    NAMES = ("online", "faq", "public_qa", "forum", "prescriber", "counter", "give_up")
    ONLINE_KINDS = (ONLINE, FAQ, PUBLIC_QA, FORUM)


def beta_draws(rng: np.random.Generator, mean: float, spread: float, n: int) -> np.ndarray:
    """Draws in [0, 1] with the given mean and standard deviation (a Beta law).

    A spread of 0, or a mean at 0 or 1, gives the constant ``mean``. A spread
    too wide for the mean is narrowed to the widest Beta law that keeps both
    shape parameters at least 0.5 (documented in the ODD, not an input clamp).
    """
    if spread <= 0 or mean <= 0 or mean >= 1:
        return np.full(n, float(mean))
    return rng.beta(*beta_shape(mean, spread), n)


def beta_shape(mean: float, spread: float) -> tuple[float, float]:
    """The Beta law's two shape parameters for ``mean`` and standard deviation ``spread`` (0 < mean < 1).

    >>> a, b = beta_shape(0.5, 0.1); round(a, 6), round(b, 6)
    (12.0, 12.0)
    """
    max_var = mean * (1 - mean) / (1 + 0.5 / min(mean, 1 - mean))
    var = min(spread**2, max_var)
    concentration = mean * (1 - mean) / var - 1
    return mean * concentration, (1 - mean) * concentration


@dataclass
class CitizenArrays:
    """Every citizen's state, one array per attribute (row i = citizen i).

    ``trust``, ``roles``, ``has_record``, ``pending`` and ``request`` have one
    column per administration. ``pending`` marks needs waiting to be taken up
    (``pending_event``: those a life event created); ``request`` marks the needs
    the request in hand covers (one administration, or several at a single
    front office), ``request_lead`` the administration whose counter serves it
    (-1: no request). Counters count since the model was built (the agents show
    them); metrics read the model's yearly tallies and the ``last_*`` weeks.
    """

    skill: np.ndarray
    age: np.ndarray  # index of the citizen's age group (model/ages.py, in table order)
    offline: np.ndarray  # never goes online: no equipment or connection (a prescriber or the counter acts for them)
    opinions: np.ndarray  # knowledge, then trust in each administration: one matrix, spread in one product
    disposition: np.ndarray  # the trust each citizen returns to when nothing happens
    privacy_concern: np.ndarray
    voice: np.ndarray
    awareness: np.ndarray  # a fixed uniform draw: knows of redress when below its chance of knowing
    roles: np.ndarray
    has_record: np.ndarray
    helper: np.ndarray  # node index of the prescriber who helps this citizen, -1 if none
    pending: np.ndarray
    pending_event: np.ndarray
    pending_count: np.ndarray  # needs waiting, per citizen (the row sums of ``pending``)
    request: np.ndarray
    request_event: np.ndarray
    request_lead: np.ndarray
    request_channel: np.ndarray
    request_since: np.ndarray  # step the request was taken up
    needs: np.ndarray
    successes: np.ndarray
    failures: np.ndarray
    gave_up: np.ndarray
    redress_tries: np.ndarray
    redress_wins: np.ndarray
    lost: np.ndarray  # failures left with no redress try
    # The last week (Mesa's ``model.steps``) each thing happened to a citizen, NEVER if it never did: what a
    # survey's "in the last 12 months" reads (metrics: a week within the last 52).
    last_online: np.ndarray  # a request handled online
    last_filed: np.ndarray  # a redress case filed
    last_lost: np.ndarray  # a failure left with no redress try
    last_heard: np.ndarray  # what they raised, visibly acted on (the week efficacy last rose)
    raised: np.ndarray  # per administration: the last week they raised something there (voice collected, a rating...)
    last_outcome: np.ndarray  # per administration: 1 their last need there was met, 0 it failed, -1 none yet
    efficacy: np.ndarray  # the sense of having a say (external efficacy), 0..1: rises when heard, fades slowly

    # Views of ``opinions``, so that one sparse product spreads both. Properties, not
    # stored views: a copied model (``copy.deepcopy``) must not keep views of the original.
    @property
    def knowledge(self) -> np.ndarray:
        return self.opinions[:, 0]

    @property
    def trust(self) -> np.ndarray:
        return self.opinions[:, 1:]

    @classmethod
    def create(cls, n: int, missions: dict[str, Mission], ages: dict[str, AgeGroup], p,
               rng: np.random.Generator) -> "CitizenArrays":
        """Draw a population from the scenario's parameters ``p``, its administrations and its age groups.

        Each citizen's age group is drawn from the pyramid; their digital skill
        from their group's Beta law (``ages.skill_means``), whether they never
        go online from their group's rate (``ages.offline_rates``), and each
        role from the mission's share times their group's multiple.
        """
        n_admins = len(missions)
        groups = list(ages)
        age = rng.choice(len(groups), size=n, p=np.array([ages[g].share for g in groups])).astype(np.int8)
        means = skill_means(ages, p.basic_skills_share, p.basic_skill_level, p.skill_spread)
        skill = np.empty(n)
        for k, group in enumerate(groups):
            members = age == k
            skill[members] = beta_draws(rng, means[group], p.skill_spread, int(members.sum()))
        offline_rate = offline_rates(ages, p.never_online_share)
        offline = rng.random(n) < np.array([offline_rate[g] for g in groups])[age]
        own = beta_draws(rng, p.knowledge_mean, p.knowledge_spread, n)
        # Initial knowledge partly follows skill, keeping the mean at knowledge_mean.
        linked = np.clip(skill - skill.mean() + p.knowledge_mean, 0.0, 1.0)
        knowledge = (1 - p.skill_knowledge_link) * own + p.skill_knowledge_link * linked
        if p.knowledge_model == "binary":
            knowledge = (rng.random(n) < knowledge).astype(np.float64)
        trust = np.clip(beta_draws(rng, p.initial_trust, p.initial_trust_spread, n)[:, None]
                        + rng.normal(0, p.trust_admin_spread, (n, n_admins)), 0, 1)
        role_share = np.array([[min(1.0, mission.role_share * role_multiples(ages, name)[group])
                                for name, mission in missions.items()] for group in groups])[age]
        roles = rng.random((n, n_admins)) < role_share
        # Column-major: each column (knowledge, trust in one administration) is contiguous, which
        # makes the weekly per-column updates an order of magnitude faster than on a row-major matrix.
        opinions = np.empty((n, 1 + n_admins), order="F")
        opinions[:, 0], opinions[:, 1:] = knowledge, trust
        by_admin = lambda: np.zeros((n, n_admins), dtype=bool)  # noqa: E731 - five such masks
        minus_one = lambda: np.full(n, -1, dtype=np.int64)  # noqa: E731
        state = dict(
            skill=skill,
            age=age,
            offline=offline,
            opinions=opinions,
            disposition=beta_draws(rng, p.trust_disposition, p.disposition_spread, n),
            privacy_concern=beta_draws(rng, p.privacy_concern_mean, p.privacy_concern_spread, n),
            voice=beta_draws(rng, p.voice_mean, p.voice_spread, n),
            awareness=rng.random(n),
            roles=roles,
            has_record=by_admin(),
            helper=minus_one(),
            pending=by_admin(),
            pending_event=by_admin(),
            pending_count=np.zeros(n, dtype=np.int32),
            request=by_admin(),
            request_event=by_admin(),
            request_lead=minus_one(),
            request_channel=minus_one(),
            request_since=minus_one(),
        )
        citizens = cls(**state, **{name: np.zeros(n, dtype=np.int32) for name in cls.COUNTERS},
                       **{name: np.full(n, NEVER, dtype=np.int32) for name in cls.LAST},
                       raised=np.full((n, n_admins), NEVER, dtype=np.int32),
                       last_outcome=np.full((n, n_admins), -1, dtype=np.int8), efficacy=np.zeros(n))
        return citizens

    COUNTERS = ("needs", "successes", "failures", "gave_up", "redress_tries", "redress_wins", "lost")
    LAST = ("last_online", "last_filed", "last_lost", "last_heard")


assert set(CitizenArrays.COUNTERS + CitizenArrays.LAST) <= {f.name for f in fields(CitizenArrays)}


class _Row:
    """Descriptor: ``agent.<name>`` is entry ``agent.index`` of ``model.<table>.<name>``."""

    def __init__(self, table: str = "citizens") -> None:
        self.table = table

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, agent, owner: type):
        if agent is None:
            return self
        return getattr(getattr(agent.model, self.table), self.name)[agent.index]

    def __set__(self, agent, value) -> None:
        getattr(getattr(agent.model, self.table), self.name)[agent.index] = value


class Citizen(mesa.Agent):
    """A citizen: a Mesa agent viewing row ``index`` of the model's citizen arrays.

    ``trust`` is the row of trust in each administration (a writable view).
    """

    skill = _Row()
    knowledge = _Row()
    trust = _Row()
    disposition = _Row()
    privacy_concern = _Row()
    voice = _Row()
    roles = _Row()
    needs = _Row()
    successes = _Row()
    failures = _Row()
    gave_up = _Row()
    redress_tries = _Row()
    redress_wins = _Row()
    lost = _Row()

    def __init__(self, model: "CrmModel", index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def mean_trust(self) -> float:
        """Mean trust over the administrations this citizen deals with."""
        roles = self.roles
        return float(self.trust[roles].mean()) if roles.any() else float(self.trust.mean())


@dataclass
class PrescriberArrays:
    """Every prescriber's state, one array per attribute (entry j = prescriber j, node ``n_citizens + j``)."""

    informal: np.ndarray  # informal (informed peer, association) or institutional
    funded: np.ndarray
    capacity: np.ndarray  # people helped through a procedure per week
    knowledge: np.ndarray  # goes stale as procedures change; refreshed by caseload and training
    helped: np.ndarray  # people helped last week
    funding_order: np.ndarray  # institutional prescribers are funded in this (random) order


class Prescriber(mesa.Agent):
    """An intermediary: informal (informed peer, association) or institutional (social worker, public writer).

    Funded institutional prescribers help more people per week and are
    trained; those who bundle voices carry their clients' complaints as
    collective ones.
    """

    informal = _Row("prescriber_state")
    funded = _Row("prescriber_state")
    capacity = _Row("prescriber_state")
    knowledge = _Row("prescriber_state")
    helped = _Row("prescriber_state")

    def __init__(self, model: "CrmModel", index: int) -> None:
        super().__init__(model)
        self.index = index
        self.node = model.n_citizens + index

    @property
    def kind(self) -> str:
        return "informal" if self.informal else "institutional"


class Administration(mesa.Agent):
    """One administration: its mission's supply, the voice it has collected, and what it publishes."""

    def __init__(self, model: "CrmModel", column: int, name: str, mission: Mission) -> None:
        super().__init__(model)
        self.column = column
        self.name = name
        self.label = mission.label
        self.mission = mission  # the supply's own level, which fixes wear back toward
        self.role_share = mission.role_share
        self.need_rate = mission.need_rate
        self.complexity = mission.complexity
        self.quality = mission.quality
        self.staff = mission.staff
        self.voice = 0.0  # accumulated collected voice
        self.adaptations = 0  # fixes made since the model was built
        self.improvement_credit = 0.0  # staff weeks available for fixes that follow what users raise
        self.last_fix_gain: float | None = None  # this week's fix's gain in expected success (None: no fix)
        self.published_success = mission.quality  # rolling success rate of its requests, as published
        members = model.role_members[column]
        self.mean_skill = float(model.citizens.skill[members].mean()) if members.size else 0.5

    def step(self) -> None:
        """Let fixes wear off, then fix what users raised if staff time allows (paper 2.2).

        Without upkeep, complexity and quality drift back toward the mission's
        own level by ``fix_wear`` of the gap each week (rules change, staff
        move). Fixes are staff work: the administration gives
        ``improvement_weeks`` of staff time a year to improving its procedures,
        and ``responsiveness`` of it follows what users raise; that share
        accrues as credit each week (at most a year's). When collected voice
        per user passes ``voice_threshold`` (users have raised a problem) and
        the credit holds a fix's ``fix_staff_cost`` weeks, the administration
        cuts complexity while it is the larger obstacle, else raises quality,
        by one ``adaptation_step``. So voice decides where and what is fixed,
        and staff time how many: more voice collected buys no more fixes than
        the time given to acting on it. ``last_fix_gain`` is the fix's gain in
        the chance of success of its users' average file, which publication
        announces (``phases.trust``).
        """
        model = self.model
        p = model.p
        self.complexity += p.fix_wear * (self.mission.complexity - self.complexity)
        self.quality += p.fix_wear * (self.mission.quality - self.quality)
        yearly = p.improvement_weeks * p.responsiveness
        most = max(yearly, p.fix_staff_cost) if yearly > 0 else 0.0  # a year's worth, or one fix's if less
        self.improvement_credit = min(self.improvement_credit + yearly / WEEKS_PER_YEAR, most)
        users = max(1, int(model.role_counts[self.column]))
        self.last_fix_gain = None
        # (credit accrues in 52 floating-point steps: a year of a fix's worth may fall short by a rounding error)
        if self.voice / users <= p.voice_threshold or self.improvement_credit < p.fix_staff_cost - 1e-9:
            return
        before = self.expected_success()
        if self.complexity > 1.0 - self.quality:
            self.complexity = max(0.0, self.complexity - p.adaptation_step)
        else:
            self.quality = min(1.0, self.quality + p.adaptation_step)
        self.improvement_credit -= p.fix_staff_cost
        self.voice = 0.0
        self.adaptations += 1
        model.tally.fixes_by_admin[self.column] += 1
        self.last_fix_gain = self.expected_success() - before

    def expected_success(self) -> float:
        """The chance that a need of its users' average file succeeds online, alone (what a fix's news announces)."""
        p, c = self.model.p, self.model.citizens
        members = self.model.role_members[self.column]
        if members.size == 0:
            return self.quality
        x = (p.success_intercept + p.skill_weight * (self.mean_skill - 0.5)
             + p.knowledge_weight * (float(c.knowledge[members].mean()) - 0.5)
             - p.complexity_weight * (1 - p.online_fit * (1 - self.complexity) - 0.5))
        return self.quality + (1 - self.quality) * (1 - p.admin_error) / (1 + math.exp(-x))
