"""Phase 5: failures are contested or lost, and redress cases are heard within capacity and deadline (paper 2.4, 3).

**Knowing a procedure exists.** A procedure exists when ``redress_capacity > 0``.
A citizen knows of it when their fixed awareness draw falls below
``visibility + (1 - visibility) * redress_known_by_knowledge * knowledge``, or
when a funded prescriber looks after them, or when a prescriber handled the
failed request.

**Contesting.** A failed need is contested with probability
``logistic(redress_intercept + knowledge, voice, help and merit terms)`` if the
citizen knows of a procedure; otherwise, or if not contested, it is *lost*
(paper 3: the "lost" user). Citizens wronged by the administration (merit)
have grounds and contest more.

**Hearing.** Each administration hears up to its capacity of cases a week,
oldest first. A case is won only if it has merit *and* the review establishes
it, with probability ``logistic(review_intercept + review_independence_weight
(independence - 1/2) + evidence_weight (evidence - 1/2) - evidence_decay
years_waited)``. Evidence is the citizen's knowledge, or their prescriber's if
one helps. No parameter sets the win rate: it follows from who contests, what
merit their cases have, what evidence they bring, how independent the review
is and how long they wait.

**Deadline.** A case still undecided ``redress_deadline`` weeks after filing
lapses: silence means rejection (France, CRPA art. L231-4). When capacity binds
(it does in the baseline), the deadline sets how long cases wait and so how
much evidence is left when they are heard, and what share is never heard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crmsim.model.phases.queues import first_in_line, logistic, spend, weekly_slots
from crmsim.model.phases.state import EMPTY, NONE_BOOL, WEEKS_PER_YEAR, count_into

if TYPE_CHECKING:
    from crmsim.model.model import CrmModel

__all__ = ["seek_redress", "knows_redress"]


def knows_redress(model: "CrmModel", who: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Whether each citizen knows that a redress procedure exists (all False when none exists)."""
    c, p = model.citizens, model.p
    if p.redress_capacity <= 0:
        return np.zeros(c.skill[who].size, dtype=bool)
    chance = p.redress_visibility + (1 - p.redress_visibility) * p.redress_known_by_knowledge * c.knowledge[who]
    return (c.awareness[who] < chance) | model.funded_tie[who]


def seek_redress(model: "CrmModel") -> None:
    c, p, rng, week, t = model.citizens, model.p, model.rng, model.week, model.tally
    who, helped, merit = week.failed, week.failed_helped, week.failed_merit
    if who.size:
        known = helped | knows_redress(model, who)
        x = (p.redress_intercept + p.redress_knowledge_weight * (c.knowledge[who] - 0.5)
             + p.redress_voice_weight * (c.voice[who] - 0.5) + p.redress_help_weight * helped
             + p.redress_merit_weight * merit)
        tries = (p.redress_capacity > 0) & known & (rng.random(who.size) < logistic(x))
        model.cases.add(citizen=who[tries], admin=week.failed_admin[tries],
                        since=np.full(int(tries.sum()), model.steps, dtype=np.int64), merit=merit[tries],
                        helped=helped[tries], event=week.failed_event[tries])
        count_into(c.redress_tries, who[tries])
        c.last_filed[who[tries]] = model.steps
        week.lost, week.lost_admin = who[~tries], week.failed_admin[~tries]
        count_into(c.lost, week.lost)
        c.last_lost[week.lost] = model.steps
        t.redress_tries += int(tries.sum())
        t.lost += week.lost.size
    _hear_cases(model)


def _hear_cases(model: "CrmModel") -> None:
    c, p, rng, week, t, cases = model.citizens, model.p, model.rng, model.week, model.tally, model.cases
    slots = weekly_slots(model.redress_credit, model.redress_capacity)
    if len(cases) == 0:
        spend(model.redress_credit, np.zeros_like(slots), model.redress_capacity)
        week.decided, week.decided_admin, week.decided_won = EMPTY, EMPTY, NONE_BOOL
        week.lapsed, week.lapsed_admin = EMPTY, EMPTY
        return
    age = model.steps - cases.since
    heard = first_in_line(cases.admin, slots, cases.since)  # oldest first
    spend(model.redress_credit, np.bincount(cases.admin[heard], minlength=slots.size), model.redress_capacity)
    who = cases.citizen[heard]
    evidence = c.knowledge[who]
    helped = cases.helped[heard]
    if helped.any():
        evidence[helped] = np.maximum(evidence[helped], model.helper_knowledge(who[helped]))
    established = logistic(p.review_intercept + p.review_independence_weight * (p.review_independence - 0.5)
                           + p.evidence_weight * (evidence - 0.5) - p.evidence_decay * age[heard] / WEEKS_PER_YEAR)
    won = cases.merit[heard] & (rng.random(who.size) < established)
    lapsed = ~heard & (age >= p.redress_deadline)

    count_into(c.redress_wins, who[won])
    count_into(c.successes, who[won])
    t.redress_decided += who.size
    t.decided_by_admin += np.bincount(cases.admin[heard], minlength=slots.size)
    t.redress_wins += int(won.sum())
    t.redress_lapsed += int(lapsed.sum())
    t.met += int(won.sum())  # a won case meets the need after all
    count_into(t.met_by_quartile, model.skill_quartile[who[won]])
    t.event_met += int((won & cases.event[heard]).sum())
    week.decided, week.decided_admin, week.decided_won = who, cases.admin[heard], won
    week.decided_merit, week.decided_helped, week.decided_evidence = cases.merit[heard], helped, evidence
    week.lapsed, week.lapsed_admin = cases.citizen[lapsed], cases.admin[lapsed]
    cases.keep(~(heard | lapsed))
