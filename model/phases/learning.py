"""Phase 4: knowledge goes stale, and is relearned through contacts, help devices and casework (paper 2.2, 3).

Procedures change, so knowledge of them becomes obsolete: each week a share
``knowledge_decay`` of it is lost (binary knowledge: the informed become
uninformed with that chance). It is relearned:

- on each contact with an administration: ``learn_rate x skill`` of what is
  missing (absorptive capacity: Cohen and Levinthal 1990), where staff or a
  prescriber who explain make up ``counter_help`` of the skill handicap;
- from a help device's answer, which the asker keeps (FAQ, public Q&A, forum);
- from published answers, which spill over to every citizen with the same role,
  taken up in proportion to digital skill and saturating as more people ask;
- on the forum, from a random citizen with the same role who knows more.

Prescribers' knowledge goes stale the same way. It is refreshed by the
official pages (at the average reach), by each case they handle (as a
citizen learns from a contact), and, for funded ones, by training
(``funded_training`` of what is missing each week). An idle prescriber's
advice ages.

Ties and official pages teach in phase 7 (``diffuse``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crmsim.model.agents import Channel

if TYPE_CHECKING:
    from crmsim.model.model import CrmModel

__all__ = ["deliberate"]


def deliberate(model: "CrmModel") -> None:
    c, p, rng, week = model.citizens, model.p, model.rng, model.week
    binary = p.knowledge_model == "binary"
    k = c.knowledge
    if p.knowledge_decay > 0:
        if binary:
            k[rng.random(k.size) < p.knowledge_decay] = 0.0
        else:
            k *= 1.0 - p.knowledge_decay
    _refresh_prescribers(model)
    served, channel = week.served, week.served_channel
    if served.size == 0:
        return
    # What a contact teaches grows with the skill to take it in; staff and prescribers
    # explain, making up counter_help of the handicap (as for success). Learning
    # from the contact and from a device's answer combine: 1 - (1-a)(1-b).
    skill = c.skill[served]
    assisted = (channel == Channel.COUNTER) | (channel == Channel.PRESCRIBER)
    contact = p.learn_rate * np.where(assisted, skill + p.counter_help * (1.0 - skill), skill)
    _learn(model, served, 1 - (1 - contact) * (1 - model.device_gain[channel]), binary)
    qa = week.need_admin[week.need_channel == Channel.PUBLIC_QA]
    if qa.size:
        askers = np.bincount(qa, minlength=len(model.administrations))
        reach = askers / (askers + p.qa_half_saturation * np.maximum(model.role_counts, 1))
        exposure = np.minimum(np.einsum("ij,j->i", c.roles, reach), 1.0) * ~c.offline  # answers are read online
        _learn(model, None, p.public_qa * p.learn_rate * c.skill * exposure, binary)
    forum = week.need_channel == Channel.FORUM
    if forum.any():  # one peer per need asked on the forum, among that administration's public
        users, admin = week.need_who[forum], week.need_admin[forum]
        c.raised[users, admin] = model.steps  # a question asked in public is something raised
        peer = users.copy()  # a public of nobody else: no one to learn from
        for column, members in enumerate(model.role_members):
            mine = admin == column
            if mine.any() and members.size:
                peer[mine] = members[rng.integers(0, members.size, int(mine.sum()))]
        _learn(model, users, p.forum * np.maximum(k[peer] - k[users], 0.0), binary)


def _refresh_prescribers(model: "CrmModel") -> None:
    p, state = model.p, model.prescriber_state
    if state.knowledge.size == 0:
        return
    kp = state.knowledge
    kp *= 1.0 - p.knowledge_decay
    kp += p.broadcast * (1.0 - kp)
    kp[:] = 1.0 - (1.0 - kp) * (1.0 - p.learn_rate) ** state.helped
    kp[state.funded] += p.funded_training * (1.0 - kp[state.funded])


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
