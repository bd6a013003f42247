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
- **published outcomes**: each administration's rolling success rate,
  discounted by its counter queue (``success / (1 + people waiting per
  slot)``), is published; trust moves toward it by ``publication_weight x
  transparency`` a week, so transparency lowers trust where the service is poor;
- **visible fixes**: a published fix raises its users' trust, more for those
  whose voice was collected (OECD 2023: having a say).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crmsim.model.phases.redress import knows_redress

if TYPE_CHECKING:
    from crmsim.model.model import CrmModel

__all__ = ["update_trust"]


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
    for admin in model.administrations:
        if admin.visible_fix:
            column = admin.column
            members = model.role_members[column]
            trust[members, column] += p.visible_fix_gain * (1.0 - trust[members, column])
            heard = model.last_week.voiced[model.last_week.voiced_admin == column]
            trust[heard, column] += p.say_gain * (1.0 - trust[heard, column])


def _relax_and_publish(model: "CrmModel") -> None:
    """Trust moves toward each citizen's anchor (memory) and toward published performance, in one pass.

    ``t += r (anchor - t) + w (published - t)`` is computed as ``t = t (1 - r - w) + r anchor + w published``,
    in place, so the citizens x administrations matrix is swept three times rather than six.
    """
    c, p = model.citizens, model.p
    relax, publish = p.trust_relaxation, p.publication_weight * p.transparency
    if relax == 0 and publish == 0:
        return
    trust = c.trust
    trust *= 1.0 - relax - publish
    if relax > 0:
        anchor = c.disposition + p.recourse_assurance * knows_redress(model) * (1 - c.disposition)
        trust += (relax * anchor)[:, None]
    if publish > 0:
        published = np.array([a.published_success for a in model.administrations]) / (1 + model.counter_wait)
        trust += publish * published


def _toward(trust: np.ndarray, who: np.ndarray, admin: np.ndarray, outcome: np.ndarray, p) -> None:
    if who.size == 0:
        return
    current = trust[who, admin]
    gap = outcome.astype(float) - current
    trust[who, admin] = current + np.where(gap > 0, p.trust_gain, p.trust_loss) * gap
