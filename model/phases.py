"""The eight phases of one step (one week), in the order of the paper.

Each phase is a function of the model that works on whole arrays (or on the
subset of citizens concerned this week): no Python loop over citizens. What a
phase hands to the next is kept in ``model.week`` (:class:`Week`); running
totals for the metrics are kept in ``model.tally`` (:class:`Tally`).

Functional forms, each documented in docs/ODD.md with its literature:

- success of a request: ``quality + (1 - quality) * logistic(capability - difficulty)``,
  so a perfect administration never fails (limiting case, DESIGN section 5);
- trust: expectation-confirmation, a larger step toward bad outcomes (Slovic 1993);
- knowledge on the network: DeGroot averaging, or the Bass hazard ``p + q*share``;
- redress try: logistic in knowledge, voice and prescriber help, times "a procedure
  exists and is known".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from model.agents import Channel

if TYPE_CHECKING:
    from model.model import CrmModel

__all__ = [
    "Week",
    "Tally",
    "arise_needs",
    "choose_channels",
    "resolve_requests",
    "deliberate",
    "seek_redress",
    "update_trust",
    "diffuse",
    "collect_voice_and_adapt",
    "logistic",
    "logit_choice",
]

_EMPTY = np.empty(0, dtype=np.int64)


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def logit_choice(utility: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One multinomial-logit draw per row: column j with probability softmax(utility)_j.

    ``-inf`` marks an unavailable option. One uniform draw per row (cheaper
    than the Gumbel-max trick's one per option).
    """
    weight = np.exp(utility - utility.max(axis=1, keepdims=True))
    cumulative = np.cumsum(weight, axis=1)
    threshold = rng.random(utility.shape[0]) * cumulative[:, -1]
    return np.minimum((cumulative <= threshold[:, None]).sum(axis=1), utility.shape[1] - 1)


@dataclass
class Week:
    """What happened this week, handed from phase to phase (indices into citizen arrays)."""

    new: np.ndarray = field(default_factory=lambda: _EMPTY)  # citizens whose request arose this week
    served: np.ndarray = field(default_factory=lambda: _EMPTY)  # citizens whose request was handled
    served_admin: np.ndarray = field(default_factory=lambda: _EMPTY)  # aligned with served
    served_channel: np.ndarray = field(default_factory=lambda: _EMPTY)  # aligned with served
    success: np.ndarray = field(default_factory=lambda: np.empty(0, bool))  # aligned with served
    failed: np.ndarray = field(default_factory=lambda: _EMPTY)
    failed_admin: np.ndarray = field(default_factory=lambda: _EMPTY)
    helped_to_redress: np.ndarray = field(default_factory=lambda: np.empty(0, bool))  # aligned with failed
    lost: np.ndarray = field(default_factory=lambda: _EMPTY)  # failed, no redress try
    lost_admin: np.ndarray = field(default_factory=lambda: _EMPTY)
    decided: np.ndarray = field(default_factory=lambda: _EMPTY)  # redress cases decided
    upheld: np.ndarray = field(default_factory=lambda: np.empty(0, bool))  # aligned with decided
    decided_admin: np.ndarray = field(default_factory=lambda: _EMPTY)
    prescriber_helped: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    voiced: np.ndarray = field(default_factory=lambda: _EMPTY)  # citizens whose complaint was collected
    voiced_admin: np.ndarray = field(default_factory=lambda: _EMPTY)


@dataclass
class Tally:
    """Running totals since the start of the run (the metrics' numerators and denominators)."""

    needs: int = 0
    met: int = 0
    gave_up: int = 0
    failures: int = 0
    lost: int = 0
    redress_tries: int = 0
    redress_wins: int = 0
    redress_decided: int = 0
    redress_on_time: int = 0
    staff_contacts: int = 0
    contacts: int = 0
    online_contacts: int = 0


# 1. Needs ---------------------------------------------------------------------
def arise_needs(model: "CrmModel") -> None:
    """Needs arise per role, as Poisson events at each administration's rate.

    A citizen takes up one matter at a time: citizens with a request or a
    redress case in hand get no new need. With a single front office, the
    needs that arise together are bundled into one request; otherwise the
    first (in random order) is taken up and the others are not counted.
    """
    c, rng, n = model.citizens, model.rng, model.n_citizens
    picked = []
    for admin in model.administrations:
        members = model.role_members[admin.column]
        p = 1.0 - np.exp(-admin.need_rate)
        k = rng.binomial(members.size, p) if members.size else 0
        if k:
            who = members[rng.choice(members.size, size=k, replace=False)]
            picked.append(np.stack([who, np.full(k, admin.column)]))
    week = model.week
    if not picked:
        week.new = _EMPTY
        return
    pairs = np.concatenate(picked, axis=1)
    free = (c.request_admin[pairs[0]] < 0) & (c.redress_admin[pairs[0]] < 0)
    pairs = pairs[:, free]
    pairs = pairs[:, rng.permutation(pairs.shape[1])]
    # Keep each citizen's first need in this random order (written last, so it wins).
    position = np.empty(n, dtype=np.int64)
    position[pairs[0, ::-1]] = np.arange(pairs.shape[1])[::-1]
    first = np.flatnonzero(position[pairs[0]] == np.arange(pairs.shape[1]))
    who = pairs[0, first]
    if model.p.single_front_office:
        bundle = np.bincount(pairs[0], minlength=n)[who].astype(np.int32)
    else:
        bundle = np.ones(who.size, dtype=np.int32)
    c.request_admin[who] = pairs[1, first]
    c.request_bundle[who] = bundle
    c.request_since[who] = model.steps
    c.request_channel[who] = Channel.NONE
    c.needs[who] += bundle
    model.tally.needs += int(bundle.sum())
    week.new = who


# 2. Channel choice -------------------------------------------------------------
def choose_channels(model: "CrmModel") -> None:
    """Each new request picks a channel (multinomial logit, Gumbel-max draw).

    Self-service online, a prescriber (if tied to one), the counter (if staffed)
    or giving up. Giving up is likelier with low knowledge and low trust; online
    attracts those with high digital skill, the counter and prescribers those
    with low skill, by ``counter_preference`` per unit of skill (paper 2.1); a
    queue at the counter last week deters.
    Those who go online and feel unsure (probability ``1 - knowledge``) ask an
    available help device: FAQ, public Q&A or forum, in proportion to each
    device's lever.
    """
    c, p, rng, week = model.citizens, model.p, model.rng, model.week
    who = week.new
    if who.size == 0:
        return
    admin = c.request_admin[who]
    skill, knowledge = c.skill[who], c.knowledge[who]
    trust = c.trust[who, admin]
    staffed = model.counter_capacity[admin] > 0
    has_prescriber = c.prescriber[who] >= 0
    utility = np.empty((who.size, 4))
    utility[:, 0] = p.counter_preference * (skill - 0.5) + p.online_push  # online
    utility[:, 1] = np.where(has_prescriber, p.counter_preference * (0.5 - skill), -np.inf)
    utility[:, 2] = np.where(staffed, p.counter_preference * (0.5 - skill) - model.counter_wait[admin], -np.inf)
    utility[:, 3] = p.giveup_intercept + p.giveup_weight * ((1 - knowledge) + (1 - trust))
    pick = np.asarray([Channel.ONLINE, Channel.PRESCRIBER, Channel.COUNTER, Channel.GIVE_UP])[
        logit_choice(utility, rng)]

    devices = np.array([p.faq_quality, p.public_qa, p.forum])
    online = np.flatnonzero(pick == Channel.ONLINE)
    if devices.sum() > 0 and online.size:
        unsure = online[rng.random(online.size) < 1 - knowledge[online]]
        device = np.searchsorted(np.cumsum(devices) / devices.sum(), rng.random(unsure.size), side="right")
        pick[unsure] = np.asarray([Channel.FAQ, Channel.PUBLIC_QA, Channel.FORUM])[np.minimum(device, 2)]

    c.request_channel[who] = pick
    gave_up = who[pick == Channel.GIVE_UP]
    _close_requests(model, gave_up)
    model.tally.gave_up += int(c.request_bundle[gave_up].sum())


def _close_requests(model: "CrmModel", who: np.ndarray) -> None:
    c = model.citizens
    c.request_admin[who] = -1
    c.request_channel[who] = Channel.NONE


# 3. Resolution -------------------------------------------------------------------
def _weekly_slots(credit: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """This week's whole slots per administration: capacity accrues as credit, so 0.3 a week serves one every ~3 weeks."""
    credit += capacity
    return np.floor(credit).astype(np.int64)


def _spend(credit: np.ndarray, used: np.ndarray, capacity: np.ndarray) -> None:
    """Take the slots used from the credit; unused credit is kept up to one week's capacity plus one."""
    credit -= used
    np.minimum(credit, capacity + 1.0, out=credit)


def _first_in_line(group: np.ndarray, slots: np.ndarray, *priority: np.ndarray) -> np.ndarray:
    """Who is served: in each group, the first ``slots[group]`` by ``priority`` keys (most important first).

    Returns a mask aligned with ``group``.
    """
    order = np.lexsort((*reversed(priority), group))
    sorted_group = group[order]
    rank = np.arange(group.size) - np.searchsorted(sorted_group, sorted_group, side="left")
    served = np.empty(group.size, dtype=bool)
    served[order] = rank < slots[sorted_group]
    return served


def _counter_queue(model: "CrmModel", waiting: np.ndarray) -> np.ndarray:
    """Serve counter requests within each administration's staff; oldest first.

    Returns the citizens served; the others wait a week more, and those who
    have waited longer than ``patience`` weeks give up.
    """
    c, p = model.citizens, model.p
    if waiting.size == 0:
        model.counter_wait *= 0.5
        return _EMPTY
    admin = c.request_admin[waiting]
    age = model.steps - c.request_since[waiting]
    slots = _weekly_slots(model.counter_credit, model.counter_capacity)
    served = _first_in_line(admin, slots, -age, model.rng.random(waiting.size))
    demand = np.bincount(admin, minlength=len(model.administrations))
    used = np.minimum(demand, slots)
    _spend(model.counter_credit, used, model.counter_capacity)
    model.counter_load = np.divide(used, np.maximum(slots, 1))
    # Next week's queue signal, read by channel choice: people waiting per slot,
    # smoothed (word of a long queue travels, and fades, over a few weeks).
    backlog = np.divide(np.maximum(demand - slots, 0), np.maximum(slots, 1))
    model.counter_wait = 0.5 * model.counter_wait + 0.5 * backlog
    too_long = ~served & (age >= p.patience)
    gave_up = waiting[too_long]
    _close_requests(model, gave_up)
    model.tally.gave_up += int(c.request_bundle[gave_up].sum())
    return waiting[served]


def _prescriber_slots(model: "CrmModel", asking: np.ndarray) -> np.ndarray:
    """Which of the citizens asking their prescriber get help this week (capacity-limited)."""
    j = model.citizens.prescriber[asking] - model.n_citizens
    ok = _first_in_line(j, model.prescriber_capacity, model.rng.random(asking.size))
    model.week.prescriber_helped = np.bincount(j[ok], minlength=model.n_prescribers)
    return ok


def resolve_requests(model: "CrmModel") -> None:
    """Requests succeed or fail: ``quality + (1 - quality) * logistic(x)``.

    ``x`` adds skill and knowledge (made up in part by counter staff or a
    prescriber; raised by a help device's answer), subtracts complexity (raised
    online when the offer does not fit the administration) and counter load,
    and adds a personal record's help. Counter requests beyond staff wait;
    prescriber requests beyond capacity go online unaided.
    """
    c, p, rng, week = model.citizens, model.p, model.rng, model.week
    channel = c.request_channel
    new_channel = channel[week.new]
    at_counter = np.flatnonzero(channel == Channel.COUNTER) if model.counter_backlog else week.new[
        new_channel == Channel.COUNTER]
    counter = _counter_queue(model, at_counter)
    model.counter_backlog = at_counter.size > counter.size
    others = week.new[(new_channel >= 0) & (new_channel != Channel.COUNTER) & (new_channel != Channel.GIVE_UP)]
    asking = others[channel[others] == Channel.PRESCRIBER]
    if asking.size:
        helped = _prescriber_slots(model, asking)
        channel[asking[~helped]] = Channel.ONLINE
    else:
        model.week.prescriber_helped = np.zeros(model.n_prescribers, np.int64)
    served = np.concatenate([others, counter])
    ch = channel[served]
    admin = c.request_admin[served]
    skill, knowledge = c.skill[served], c.knowledge[served]
    quality = model.quality[admin]
    at_desk = ch == Channel.COUNTER
    at_prescriber = ch == Channel.PRESCRIBER
    online = ~(at_desk | at_prescriber)
    # Staff and prescribers make up part of the skill handicap.
    skill = np.where(online, skill, skill + p.counter_help * (1 - skill))
    # A help device's answer, a counter agent or a prescriber add knowledge for this request.
    knowledge = knowledge + model.device_gain[ch] * (1 - knowledge)
    knowledge = np.where(at_desk, knowledge + p.counter_help * (1 - knowledge), knowledge)
    if at_prescriber.any():
        helper = c.prescriber[served[at_prescriber]] - model.n_citizens
        knowledge[at_prescriber] = np.maximum(knowledge[at_prescriber], model.prescriber_knowledge[helper])
    complexity = model.complexity[admin]
    complexity = np.where(online, 1 - p.online_fit * (1 - complexity), complexity)
    load = np.where(at_desk, model.counter_load[admin], 0.0)
    record = c.has_record[served, admin] * p.personalisation
    x = (p.success_intercept + p.skill_weight * (skill - 0.5) + p.knowledge_weight * (knowledge - 0.5)
         - p.complexity_weight * (complexity - 0.5) - p.load_weight * load + p.personal_weight * record)
    chance = quality + (1 - quality) * logistic(x)
    success = rng.random(served.size) < chance

    if p.personalisation > 0:
        c.has_record[served, admin] = True
    bundle = c.request_bundle[served]
    c.successes[served[success]] += bundle[success]
    c.failures[served[~success]] += 1
    t = model.tally
    t.met += int(bundle[success].sum())
    t.failures += int((~success).sum())
    t.contacts += served.size
    t.staff_contacts += int(at_desk.sum())
    t.online_contacts += int(online.sum())
    week.served, week.served_admin, week.served_channel, week.success = served, admin, ch, success
    week.failed, week.failed_admin = served[~success], admin[~success]
    week.helped_to_redress = at_prescriber[~success] | model.funded_tie[served[~success]]
    _close_requests(model, served)


# 4. Interaction and deliberation ---------------------------------------------------
def deliberate(model: "CrmModel") -> None:
    """Knowledge from contacts and devices (paper 2.2), and forgetting.

    Everyone forgets a little; everyone who made a contact learns
    (``learn_rate``, times ``1 + counter_help`` when staff or a prescriber
    explained the procedure), and FAQ, public Q&A and forum askers keep their answer;
    published answers spill over to every citizen with the same role, taken up
    in proportion to digital skill and saturating as more people ask; forum
    users also learn from a random citizen with the same role who knows more.
    """
    c, p, rng, week = model.citizens, model.p, model.rng, model.week
    k = c.knowledge
    binary = p.knowledge_model == "binary"
    if p.forget_rate > 0:
        if binary:
            k[rng.random(k.size) < p.forget_rate] = 0.0
        else:
            k *= 1.0 - p.forget_rate
    served, ch = week.served, week.served_channel
    if served.size == 0:
        return
    # Learning from the contact and from the answer combine: 1 - (1-a)(1-b).
    # Staff and prescribers explain the procedure: assisted contacts teach more.
    assisted = (ch == Channel.COUNTER) | (ch == Channel.PRESCRIBER)
    contact = p.learn_rate * (1.0 + p.counter_help * assisted)
    share = 1 - (1 - np.minimum(contact, 1.0)) * (1 - model.device_gain[ch])
    _learn(model, served, share, binary)
    qa = week.served_admin[ch == Channel.PUBLIC_QA]
    if qa.size:
        askers = np.bincount(qa, minlength=len(model.administrations))
        reach = askers / (askers + p.qa_half_saturation * np.maximum(model.role_counts, 1))
        exposure = np.minimum(np.einsum("ij,j->i", c.roles, reach), 1.0)
        _learn(model, None, p.public_qa * p.learn_rate * c.skill * exposure, binary)
    forum = ch == Channel.FORUM
    if forum.any():
        users, admin = served[forum], week.served_admin[forum]
        peer = np.empty(users.size, dtype=np.int64)
        for column, members in enumerate(model.role_members):
            mine = admin == column
            peer[mine] = members[rng.integers(0, members.size, int(mine.sum()))]
        _learn(model, users, p.forum * np.maximum(k[peer] - k[users], 0.0), binary)


def _learn(model: "CrmModel", who: np.ndarray | None, share: np.ndarray, binary: bool) -> None:
    """Raise knowledge by ``share`` of what is missing (binary: become informed with that chance)."""
    k = model.citizens.knowledge
    index = slice(None) if who is None else who
    if binary:
        size = k.size if who is None else who.size
        hit = model.rng.random(size) < share
        k[np.flatnonzero(hit) if who is None else who[hit]] = 1.0
    else:
        k[index] += share * (1.0 - k[index])


# 5. Recourse ---------------------------------------------------------------------
def seek_redress(model: "CrmModel") -> None:
    """Failed requests become redress cases; cases are decided within capacity.

    A failure is contested with probability ``known * logistic(...)`` where a
    procedure exists when ``redress_capacity > 0`` and is known with
    probability ``visibility + (1 - visibility) * knowledge / 2`` (always when a
    prescriber helps). Uncontested failures are *lost users* (paper 3). Each
    administration decides up to its capacity of cases a week, oldest first;
    a case is upheld with probability ``redress_upheld``.
    """
    c, p, rng, week, t = model.citizens, model.p, model.rng, model.week, model.tally
    failed, admin, helped = week.failed, week.failed_admin, week.helped_to_redress
    if failed.size:
        k, voice = c.knowledge[failed], c.voice[failed]
        exists = p.redress_capacity > 0
        known = helped | (rng.random(failed.size) < p.redress_visibility + (1 - p.redress_visibility) * k / 2)
        x = (p.redress_intercept + p.redress_knowledge_weight * (k - 0.5) + p.redress_voice_weight * (voice - 0.5)
             + p.redress_help_weight * helped)
        tries = exists & known & (rng.random(failed.size) < logistic(x))
        contest = failed[tries]
        c.redress_admin[contest] = admin[tries]
        c.redress_since[contest] = model.steps
        c.redress_tries[contest] += 1
        week.lost, week.lost_admin = failed[~tries], admin[~tries]
        c.lost[week.lost] += 1
        t.redress_tries += contest.size
        t.lost += week.lost.size
        model.lost_ever[week.lost] = True
        model.pending_redress += contest.size
    _decide_cases(model)


def _decide_cases(model: "CrmModel") -> None:
    c, p, rng, week, t = model.citizens, model.p, model.rng, model.week, model.tally
    slots = _weekly_slots(model.redress_credit, model.redress_capacity)
    if model.pending_redress == 0 or slots.max() == 0:
        week.decided, week.upheld, week.decided_admin = _EMPTY, np.empty(0, bool), _EMPTY
        _spend(model.redress_credit, 0, model.redress_capacity)
        return
    pending = np.flatnonzero(c.redress_admin >= 0)
    admin = c.redress_admin[pending]
    chosen = _first_in_line(admin, slots, c.redress_since[pending])  # oldest first
    decided, decided_admin = pending[chosen], admin[chosen]
    used = np.bincount(decided_admin, minlength=slots.size)
    _spend(model.redress_credit, used, model.redress_capacity)
    upheld = rng.random(decided.size) < p.redress_upheld
    on_time = (model.steps - c.redress_since[decided]) <= p.redress_deadline
    won = decided[upheld]
    c.redress_wins[won] += 1
    c.successes[won] += 1
    c.redress_admin[decided] = -1
    model.pending_redress -= decided.size
    t.redress_decided += decided.size
    t.redress_wins += won.size
    t.redress_on_time += int(on_time.sum())
    t.met += won.size
    week.decided, week.upheld, week.decided_admin = decided, upheld, decided_admin


# 6. Trust ------------------------------------------------------------------------
def update_trust(model: "CrmModel") -> None:
    """Expectation-confirmation: trust moves toward each outcome (Oliver 1980).

    The step is ``trust_gain`` toward a good outcome and the larger
    ``trust_loss`` toward a bad one (Slovic 1993). A failure with no recourse
    costs ``no_recourse_penalty`` more; interconnected files cost the
    privacy-concerned trust on each contact unless a data-protection recourse
    exists; a published fix raises trust of the administration's users, and
    more among those whose voice was collected (OECD 2023: having a say).
    """
    c, p, week = model.citizens, model.p, model.week
    trust = c.trust
    _toward(trust, week.served, week.served_admin, week.success.astype(float), p)
    _toward(trust, week.decided, week.decided_admin, week.upheld.astype(float), p)
    if week.lost.size:
        trust[week.lost, week.lost_admin] *= 1.0 - p.no_recourse_penalty
    if p.interconnection > 0 and not p.data_protection_redress and week.served.size:
        worry = p.privacy_cost * p.interconnection * c.privacy_concern[week.served]
        trust[week.served, week.served_admin] *= 1.0 - worry
    for admin in model.administrations:
        if admin.visible_fix:
            column = admin.column
            members = model.role_members[column]
            trust[members, column] += p.visible_fix_gain * (1.0 - trust[members, column])
            heard = model.last_week.voiced[model.last_week.voiced_admin == column]
            trust[heard, column] += p.say_gain * (1.0 - trust[heard, column])


def _toward(trust: np.ndarray, who: np.ndarray, admin: np.ndarray, outcome: np.ndarray, p) -> None:
    if who.size == 0:
        return
    current = trust[who, admin]
    gap = outcome - current
    trust[who, admin] = current + np.where(gap > 0, p.trust_gain, p.trust_loss) * gap


# 7. Diffusion --------------------------------------------------------------------
def diffuse(model: "CrmModel") -> None:
    """Knowledge and trust spread along ties; prescribers weigh more (opinion leaders).

    Official pages reach each citizen in proportion to digital skill, scaled
    so the population's mean reach is ``broadcast`` (``page_share``). Continuous
    knowledge: pages add that share of what is missing, then DeGroot averaging
    ``k += word_of_mouth * (W k - k)``. Binary knowledge: the uninformed become
    informed with the Bass hazard ``reach + word_of_mouth * (share of informed
    neighbours)``. Trust: DeGroot averaging with weight ``trust_spread``; a
    prescriber's trust is the mean of its clients'. ``W`` is row-normalised; a
    citizen with no tie keeps its own values. Knowledge and trust share one
    matrix (``opinions``), so one sparse product serves both.
    """
    c, p = model.citizens, model.p
    k = c.knowledge
    binary = p.knowledge_model == "binary"
    if p.broadcast > 0 and not binary:
        k += model.page_share * (1.0 - k)
    # One weight per column of the opinions matrix: knowledge, then trust.
    weights = np.full(c.opinions.shape[1], p.trust_spread)
    weights[0] = 0.0 if binary else p.word_of_mouth
    if model.anyone_tied and (weights.any() or (binary and p.word_of_mouth > 0)):
        neighbours = model.from_citizens @ c.opinions  # knowledge and trust in one sparse product
        if model.n_prescribers:
            prescribers = np.column_stack([model.prescriber_knowledge, model.clients_mean @ c.trust])
            neighbours += model.from_prescribers @ prescribers
        informed_share = neighbours[:, 0].copy() if binary else None
        neighbours -= c.opinions
        neighbours *= weights
        if not model.everyone_tied:
            neighbours *= model.has_ties[:, None]
        c.opinions += neighbours  # DeGroot: x += weight * (W x - x)
    else:
        informed_share = np.zeros_like(k)
    if binary and (p.broadcast > 0 or p.word_of_mouth > 0):
        # The Bass hazard reads the neighbours' knowledge from before this step's adoptions.
        hazard = np.minimum(model.page_share + p.word_of_mouth * informed_share, 1.0)
        adopt = (k < 1.0) & (model.rng.random(k.size) < hazard)
        k[adopt] = 1.0


# 8. Collective voice and adaptation -----------------------------------------------
def collect_voice_and_adapt(model: "CrmModel") -> None:
    """Complaints accumulate per administration; responsive ones adapt (paper 2.2).

    A failed citizen voices a complaint with probability ``voice``; it is
    collected with probability ``voice_collection``, or always when a bundling
    prescriber carries it, and then it counts double (a collective voice).
    Collected voice decays by ``voice_decay`` a week. Each administration then
    runs its own step (adapt, publish or not).
    """
    c, p, rng, week = model.citizens, model.p, model.rng, model.week
    failed, admin = week.failed, week.failed_admin
    n_admins = len(model.administrations)
    collected_weight = np.zeros(n_admins)
    if failed.size:
        voices = rng.random(failed.size) < c.voice[failed]
        bundled = model.bundling_tie[failed] & voices
        collected = bundled | (voices & (rng.random(failed.size) < p.voice_collection))
        week.voiced, week.voiced_admin = failed[collected], admin[collected]
        collected_weight = np.bincount(admin[collected], weights=1.0 + bundled[collected], minlength=n_admins)
    for administration in model.administrations:
        administration.voice = p.voice_decay * administration.voice + collected_weight[administration.column]
        administration.step()
