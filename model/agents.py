"""The three kinds of agent: citizens, prescribers and administrations.

Citizens are many, so their state lives in numpy arrays owned by the model
(:class:`CitizenArrays`, one array per attribute) and each :class:`Citizen`
is a thin Mesa agent over its row: ``citizen.knowledge`` reads and writes
``model.citizens.knowledge[citizen.index]``. The step works on whole arrays.

Prescribers and administrations are few and ordinary Mesa agents. A prescriber
is a well-informed hub (paper, section 3); an administration holds its mission's
supply (complexity, quality, staff) and adapts it when collected voice passes
a threshold (paper, section 2.2) in its :meth:`Administration.step`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from model.administrations import Mission

if TYPE_CHECKING:
    from model.model import CrmModel

__all__ = ["Channel", "CitizenArrays", "Citizen", "Prescriber", "Administration", "beta_draws"]


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
    max_var = mean * (1 - mean) / (1 + 0.5 / min(mean, 1 - mean))
    var = min(spread**2, max_var)
    concentration = mean * (1 - mean) / var - 1
    return rng.beta(mean * concentration, (1 - mean) * concentration, n)


@dataclass
class CitizenArrays:
    """Every citizen's state, one array per attribute (row i = citizen i).

    ``trust``, ``roles`` and ``has_record`` have one column per administration.
    ``request_*`` describe the request in hand (``request_admin == -1``: none);
    ``redress_*`` a pending redress case (``redress_admin == -1``: none).
    """

    skill: np.ndarray
    opinions: np.ndarray  # knowledge, then trust in each administration: one matrix, spread in one product
    knowledge: np.ndarray  # view: opinions[:, 0]
    trust: np.ndarray  # view: opinions[:, 1:]
    privacy_concern: np.ndarray
    voice: np.ndarray
    roles: np.ndarray
    has_record: np.ndarray
    prescriber: np.ndarray  # node index of the citizen's first prescriber, -1 if none
    request_admin: np.ndarray
    request_bundle: np.ndarray  # needs the request covers (single front office: several)
    request_channel: np.ndarray
    request_since: np.ndarray  # step the request arose
    redress_admin: np.ndarray
    redress_since: np.ndarray
    needs: np.ndarray
    successes: np.ndarray
    failures: np.ndarray
    redress_tries: np.ndarray
    redress_wins: np.ndarray
    lost: np.ndarray  # failures left with no redress try

    @classmethod
    def create(cls, n: int, n_admins: int, role_share: np.ndarray, p, rng: np.random.Generator) -> "CitizenArrays":
        """Draw a population from the scenario's parameters ``p``."""
        skill = beta_draws(rng, p.skill_mean, p.skill_spread, n)
        own = beta_draws(rng, p.knowledge_mean, 0.15, n)
        # Knowledge partly follows skill, keeping the mean at knowledge_mean.
        linked = np.clip(skill - p.skill_mean + p.knowledge_mean, 0.0, 1.0)
        knowledge = (1 - p.skill_knowledge_link) * own + p.skill_knowledge_link * linked
        if p.knowledge_model == "binary":
            knowledge = (rng.random(n) < knowledge).astype(np.float64)
        trust = np.clip(beta_draws(rng, p.initial_trust, 0.15, n)[:, None] + rng.normal(0, 0.05, (n, n_admins)), 0, 1)
        roles = rng.random((n, n_admins)) < role_share[None, :]
        opinions = np.empty((n, 1 + n_admins))
        opinions[:, 0], opinions[:, 1:] = knowledge, trust
        ints = lambda: np.zeros(n, dtype=np.int32)  # noqa: E731 - six identical counters
        minus_one = lambda: np.full(n, -1, dtype=np.int64)  # noqa: E731
        return cls(
            skill=skill,
            opinions=opinions,
            knowledge=opinions[:, 0],
            trust=opinions[:, 1:],
            privacy_concern=beta_draws(rng, p.privacy_concern_mean, 0.2, n),
            voice=beta_draws(rng, p.voice_mean, 0.15, n),
            roles=roles,
            has_record=np.zeros((n, n_admins), dtype=bool),
            prescriber=minus_one(),
            request_admin=minus_one(),
            request_bundle=ints(),
            request_channel=minus_one(),
            request_since=minus_one(),
            redress_admin=minus_one(),
            redress_since=minus_one(),
            needs=ints(),
            successes=ints(),
            failures=ints(),
            redress_tries=ints(),
            redress_wins=ints(),
            lost=ints(),
        )


class _Row:
    """Descriptor: ``citizen.<name>`` is row ``citizen.index`` of ``model.citizens.<name>``."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, citizen: "Citizen | None", owner: type):
        if citizen is None:
            return self
        return getattr(citizen.model.citizens, self.name)[citizen.index]

    def __set__(self, citizen: "Citizen", value) -> None:
        getattr(citizen.model.citizens, self.name)[citizen.index] = value


class Citizen(mesa.Agent):
    """A citizen: a Mesa agent viewing row ``index`` of the model's citizen arrays.

    ``trust`` is the row of trust in each administration (a writable view).
    """

    skill = _Row()
    knowledge = _Row()
    trust = _Row()
    privacy_concern = _Row()
    voice = _Row()
    roles = _Row()
    needs = _Row()
    successes = _Row()
    failures = _Row()
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


class Prescriber(mesa.Agent):
    """An intermediary (association, social worker, public writer, informed peer).

    Funded prescribers help more people per week and know procedures better;
    those who bundle voices carry their clients' complaints as collective ones.
    """

    def __init__(self, model: "CrmModel", node: int, *, funded: bool, capacity: int, knowledge: float,
                 bundles: bool) -> None:
        super().__init__(model)
        self.node = node
        self.funded = funded
        self.capacity = capacity
        self.knowledge = knowledge
        self.bundles = bundles
        self.helped = 0  # people helped through a procedure in the last week

    def step(self) -> None:
        """Record how many people this prescriber helped this week."""
        self.helped = int(self.model.week.prescriber_helped[self.node - self.model.n_citizens])


class Administration(mesa.Agent):
    """One administration: its mission's supply, and the voice it has collected."""

    def __init__(self, model: "CrmModel", column: int, name: str, mission: Mission) -> None:
        super().__init__(model)
        self.column = column
        self.name = name
        self.label = mission.label
        self.role_share = mission.role_share
        self.need_rate = mission.need_rate
        self.complexity = mission.complexity
        self.quality = mission.quality
        self.staff = mission.staff
        self.voice = 0.0  # accumulated collected complaints
        self.adaptations = 0
        self.visible_fix = False  # a fix was made and published last week

    def step(self) -> None:
        """Adapt the supply when collected voice per user passes the threshold.

        A responsive administration cuts complexity while it is the larger
        obstacle, else raises quality, by one ``adaptation_step``; with
        probability ``transparency`` the fix is published and its users see it.
        """
        model = self.model
        p = model.p
        users = max(1, int(model.role_counts[self.column]))
        self.visible_fix = False
        if self.voice / users <= p.voice_threshold or model.rng.random() >= p.responsiveness:
            return
        if self.complexity > 1.0 - self.quality:
            self.complexity = max(0.0, self.complexity - p.adaptation_step)
        else:
            self.quality = min(1.0, self.quality + p.adaptation_step)
        self.voice = 0.0
        self.adaptations += 1
        self.visible_fix = bool(model.rng.random() < p.transparency)
