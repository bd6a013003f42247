"""Phase 6: trust follows experience, with bounded memory, and procedures and publications (paper 2.4).

Per citizen and administration, each week:

- **bounded memory**: trust closes ``trust_relaxation`` of its distance to the
  citizen's *anchor*: their disposition to trust, raised by
  ``recourse_assurance`` of the way to full trust when they know a redress
  procedure exists (paper 2.4: "existence of a procedure for redress"). So the
  steady state depends on dispositions and experience, not on initial trust;
- **expectation-confirmation** (Oliver 1980; Bhattacherjee 2001): each need
  handled moves trust toward its outcome (1 or 0), by ``trust_gain`` toward a
  good one and the larger ``trust_loss`` toward a bad one (Slovic 1993);
- **procedural justice** (Tyler 1990): a citizen whose case is heard gains
  ``heard_gain`` of the way to full trust, won or lost, then moves toward the
  outcome; a failure left with no redress, or a case never heard (lapsed), costs
  ``no_recourse_penalty``; giving up a need costs ``giveup_penalty``;
- **privacy**: with interconnected files, each contact costs the
  privacy-concerned trust, unless a data-protection recourse exists;
- **published outcomes** (performance information): each administration
  publishes what administrations publish, its rolling success rate and its
  counter's waiting time in weeks. A citizen compares them with what they
  expected, their disposition to trust as the success rate they expect and
  ``expected_wait_weeks``: the *cue* is ``success - disposition`` minus the
  share of the published wait beyond the expected one. A good cue moves trust
  toward full trust, a bad one toward none (``publication_negativity`` times
  more), by ``publication_weight x transparency x |cue|`` a week. So publishing
  raises trust where results beat expectations and lowers it where they fall
  short (James 2011), and the effect is small beside experience and memory
  (Grimmelikhuijsen et al. 2013);
- **a published fix** is news, read like a published result (weighted by
  ``transparency``, small): its users move toward full trust by
  ``fix_news_weight x transparency x gain``, where ``gain`` is what the fix
  adds to the chance of success of their average file (a fix that improves
  nothing announces nothing), discounted to ``news_discount`` for those whose
  own last outcome there was a failure. What the fix really changes, citizens
  then live (experience, above);
- **having a say** (external efficacy): a citizen who raised something at an
  administration (a complaint collected, a poll or consultation answered, a
  rating, a forum question) in the last ``raised_weeks`` and sees it acted on
  (a fix there, published: probability ``transparency``) feels heard: their
  efficacy goes to 1, then fades by ``efficacy_decay`` a week, and it raises
  the level their trust returns to by ``say_weight x efficacy`` of the way to
  full trust (OECD 2024; Tyler 1990; Esaiasson et al. 2012).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crmsim.model.phases.redress import knows_redress

if TYPE_CHECKING:
    from crmsim.model.model import CrmModel

__all__ = ["publication_cue", "update_trust"]


def update_trust(model: "CrmModel") -> None:
    c, p, week = model.citizens, model.p, model.week
    trust = c.trust
    _relax_and_publish(model)
    _toward(trust, week.need_who, week.need_admin, week.need_success, p)
    if week.decided.size:
        heard = trust[week.decided, week.decided_admin]
        trust[week.decided, week.decided_admin] = heard + p.heard_gain * (1 - heard)
        _toward(trust, week.decided, week.decided_admin, week.decided_won, p)
    for who, admin, penalty in ((week.lost, week.lost_admin, p.no_recourse_penalty),
                                (week.lapsed, week.lapsed_admin, p.no_recourse_penalty),
                                (week.gave_up, week.gave_up_admin, p.giveup_penalty)):
        if who.size:
            trust[who, admin] *= 1.0 - penalty
    if p.interconnection > 0 and not p.data_protection_redress and week.need_who.size:
        worry = p.privacy_cost * p.interconnection * c.privacy_concern[week.need_who]
        trust[week.need_who, week.need_admin] *= 1.0 - worry
    _remember_outcomes(model)
    for admin in model.administrations:
        if admin.last_fix_gain is not None:  # a fix last week: news for its users, a say for who raised it
            _read_fix_news(model, admin.column, admin.last_fix_gain)
            _hear(model, admin.column)


def _remember_outcomes(model: "CrmModel") -> None:
    """Each citizen's last outcome at each administration (what a published fix's news is read against)."""
    c, week = model.citizens, model.week
    c.last_outcome[week.need_who, week.need_admin] = week.need_success
    if week.decided.size:
        c.last_outcome[week.decided[week.decided_won], week.decided_admin[week.decided_won]] = 1


def _read_fix_news(model: "CrmModel", column: int, gain: float) -> None:
    """A published fix's news moves its users toward full trust, by what it announces (see the module)."""
    p, c = model.p, model.citizens
    weight = p.fix_news_weight * p.transparency * gain
    if weight <= 0:
        return
    members = model.role_members[column]
    believed = np.where(c.last_outcome[members, column] == 0, p.news_discount, 1.0)
    c.trust[members, column] += weight * believed * (1.0 - c.trust[members, column])


def _hear(model: "CrmModel", column: int) -> None:
    """Citizens who raised something here lately and see the fix (published: ``transparency``) feel heard."""
    p, c = model.p, model.citizens
    raised = np.flatnonzero(c.raised[:, column] > model.steps - 1 - p.raised_weeks)
    if raised.size == 0:
        return
    heard = raised[model.rng.random(raised.size) < p.transparency]
    c.efficacy[heard] = 1.0
    c.last_heard[heard] = model.steps


def _relax_and_publish(model: "CrmModel") -> None:
    """Trust moves toward each citizen's anchor (bounded memory), then by the cue of what is published.

    Memory is ``t += r (anchor - t)``, computed in place as ``t = t (1 - r) + r anchor`` so the
    citizens x administrations matrix is swept twice rather than four times.
    """
    c, p = model.citizens, model.p
    relax = p.trust_relaxation
    trust = c.trust
    if p.efficacy_decay > 0:
        c.efficacy *= 1.0 - p.efficacy_decay
    if relax > 0:
        anchor = c.disposition + p.recourse_assurance * knows_redress(model) * (1 - c.disposition)
        if p.say_weight > 0:
            anchor += p.say_weight * c.efficacy * (1 - anchor)
        trust *= 1.0 - relax
        trust += (relax * anchor)[:, None]
    weight = p.publication_weight * p.transparency
    if weight > 0:
        _read_publications(trust, publication_cue(model), weight, p.publication_negativity)


def publication_cue(model: "CrmModel") -> np.ndarray:
    """Per citizen and administration: published success rate minus the one expected, less the wait's overrun.

    The overrun is the share of the published waiting time beyond the expected one,
    ``max(0, 1 - expected_wait_weeks / wait)``: 0 while the queue is within what citizens
    expect, toward 1 as it grows. The counter's backlog per weekly slot is the weeks it
    takes to clear, so it is the published wait.
    """
    success = np.array([a.published_success for a in model.administrations])
    wait = model.counter_wait
    overrun = np.where(wait > model.p.expected_wait_weeks,
                       1.0 - model.p.expected_wait_weeks / np.maximum(wait, 1e-12), 0.0)
    return (success - overrun)[None, :] - model.citizens.disposition[:, None]


def _read_publications(trust: np.ndarray, cue: np.ndarray, weight: float, negativity: float) -> None:
    """A good cue closes ``weight x cue`` of the way to full trust; a bad one ``negativity`` times more toward none."""
    good = cue > 0
    trust += np.where(good, weight * cue * (1.0 - trust), negativity * weight * cue * trust)


def _toward(trust: np.ndarray, who: np.ndarray, admin: np.ndarray, outcome: np.ndarray, p) -> None:
    if who.size == 0:
        return
    current = trust[who, admin]
    gap = outcome.astype(float) - current
    trust[who, admin] = current + np.where(gap > 0, p.trust_gain, p.trust_loss) * gap
