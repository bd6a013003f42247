"""Phase 8: collective voice accumulates, administrations let fixes wear and adapt (paper 2.2).

Two ways voice reaches an administration:

- **complaints**: a citizen whose need failed voices a complaint with
  probability ``voice``; it is collected with probability
  ``voice_collection``, or always when a bundling prescriber carries it, and
  then it weighs ``collective_weight`` (a collective voice);
- **polls**: each week a poll reaches ``poll_share x voice_collection`` of each
  administration's public, satisfied or not; each reached citizen answers with
  probability ``voice`` and adds their dissatisfaction ``1 - trust``.

With ratings on, each bad rating published counts, times ``ratings``, as a
collected complaint (``phases.ratings``). Collected voice decays by
``voice_decay`` a week. Each administration then
runs its own step (:meth:`Administration.step`: wear, adapt, publish or not).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from crmsim.model.model import CrmModel

__all__ = ["collect_voice_and_adapt"]


def collect_voice_and_adapt(model: "CrmModel") -> None:
    c, p, rng, week = model.citizens, model.p, model.rng, model.week
    n_admins = len(model.administrations)
    collected = np.zeros(n_admins)
    voiced, voiced_admin = [week.voiced], [week.voiced_admin]
    who, admin = week.failed, week.failed_admin
    if who.size:
        voices = rng.random(who.size) < c.voice[who]
        bundled = model.bundling_tie[who] & voices
        heard = bundled | (voices & (rng.random(who.size) < p.voice_collection))
        weight = np.where(bundled, p.collective_weight, 1.0)[heard]
        collected += np.bincount(admin[heard], weights=weight, minlength=n_admins)
        voiced.append(who[heard])
        voiced_admin.append(admin[heard])
    reach = min(1.0, p.poll_share * p.voice_collection)
    if reach > 0:
        for column, members in enumerate(model.role_members):
            size = rng.binomial(members.size, reach)
            polled = members[rng.choice(members.size, size=size, replace=False)]
            polled = polled[rng.random(size) < c.voice[polled]]
            collected[column] += float((1.0 - c.trust[polled, column]).sum())
            voiced.append(polled)
            voiced_admin.append(np.full(polled.size, column, dtype=np.int64))
    if p.ratings > 0:  # each bad rating published is a complaint the administration can read
        collected += p.ratings * model.ratings_board.low
    week.voiced, week.voiced_admin = np.concatenate(voiced), np.concatenate(voiced_admin)
    c.raised[week.voiced, week.voiced_admin] = model.steps  # their voice reached the administration
    for administration in model.administrations:
        administration.voice = p.voice_decay * administration.voice + collected[administration.column]
        administration.step()
