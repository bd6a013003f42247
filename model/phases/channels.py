"""Phase 2: each new request is acted on or given up, then goes through a channel (a two-stage choice).

The paper separates the two decisions (2.1), and so does the model (a nested
choice, DESIGN 5a):

1. **Act at all, or give up** (non-take-up). The chance of giving up is
   ``logistic(giveup_intercept - giveup_success_weight (E - 1/2)
   + burden_weight (procedures - 1))``. ``E`` is the success the citizen
   expects: over the channels they would use, weighted by how likely they are
   to use each, ``trust + (1 - trust) logistic(x)``, where trust is their
   belief that the administration handles the case right and ``x`` the
   log-odds of their own file (:func:`file_log_odds`: skill, knowledge, help
   at a counter or from a prescriber). At the counter it is discounted by the
   chance of being served before patience runs out. ``procedures`` counts
   the separate procedures the citizen still faces (administrative burden,
   Herd and Moynihan 2018): a single front office makes a bundle one.
2. **Which channel** (multinomial logit): online carries a general
   preference ``online_intercept`` and attracts the skilled, the counter and a
   prescriber the less skilled, by ``counter_preference`` per unit of skill;
   a queue at the counter deters (``queue_aversion``);
   ``online_push`` adds to online. The push moves people between channels;
   it enters the first stage only through the success people expect from the
   channel they would be pushed to, so on its own it deters; it draws people
   out of giving up only by shortening a crowded counter's queue for those
   who stay. Closing counters removes the channel the less skilled expect
   most from, so more of them give up.

With ratings on (``phases.ratings``), citizens who read the published scores
first move their trust toward what they read (so the first stage sees it),
and a channel rated above the administration's overall score gains in the
second stage only.

Online is not open to everyone, nor for every procedure: a citizen who
never goes online (``offline``) has only the counter and a prescriber, and a
request can be completed online only with probability ``online_offer`` (the
share of procedures the administrations put online). Where online is the
default (``online_default``), it gains ``default_push`` for those it is open
to. With no channel open at all (no prescriber free, no counter, not online),
the citizen gives up.

Those who go online and feel unsure (probability ``1 - knowledge``) ask an
available help device: FAQ, public Q&A or forum, in proportion to each
device's lever.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crmsim.model.agents import Channel
from crmsim.model.phases.needs import give_up
from crmsim.model.phases.queues import choice_probabilities, draw_choice, logistic
from crmsim.model.phases.ratings import read_scores
from crmsim.model.phases.resolution import file_log_odds

if TYPE_CHECKING:
    from crmsim.model.model import CrmModel

__all__ = ["choose_channels"]

_CHANNELS = np.array([Channel.ONLINE, Channel.PRESCRIBER, Channel.COUNTER])


def choose_channels(model: "CrmModel") -> None:
    c, p, rng, week = model.citizens, model.p, model.rng, model.week
    who = week.new
    if who.size == 0:
        return
    lead = c.request_lead[who]
    skill = c.skill[who]
    score_shift = read_scores(model, who, lead)  # ratings: readers' expectations move before they act
    if p.single_front_office:  # a request may cover several administrations: their mean trust
        covered = c.request[who]
        trust = (c.trust[who] * covered).sum(axis=1) / covered.sum(axis=1)
    else:  # one administration, the lead: the same value, read directly (a tenth of the cost)
        trust = c.trust[who, lead]
    staffed = model.counter_capacity[lead] > 0
    has_prescriber = c.helper[who] >= 0
    if has_prescriber.any():
        has_prescriber[has_prescriber] = model.prescriber_state.capacity[c.helper[who[has_prescriber]]
                                                                         - model.n_citizens] > 0
    wait = model.counter_wait[lead]
    online_open = ~c.offline[who] & (rng.random(who.size) < p.online_offer)
    model.week.cannot_go_online = who[~online_open]

    utility = np.empty((who.size, 3))
    utility[:, 0] = np.where(online_open, p.online_intercept + p.counter_preference * (skill - 0.5) + p.online_push
                             + p.default_push * bool(p.online_default), -np.inf)
    utility[:, 1] = np.where(has_prescriber, p.counter_preference * (0.5 - skill), -np.inf)
    utility[:, 2] = np.where(staffed, p.counter_preference * (0.5 - skill) - p.queue_aversion * wait, -np.inf)
    stranded = ~(online_open | has_prescriber | staffed)  # no channel open: they can only give up
    utility[stranded, 2] = 0.0  # a placeholder choice, so the probabilities are defined; they quit below
    preference = choice_probabilities(utility)

    expected = np.empty_like(preference)
    for j, channel in enumerate(_CHANNELS):
        own = logistic(file_log_odds(model, who, lead, np.full(who.size, channel)))
        expected[:, j] = trust + (1 - trust) * own
    expected[:, 2] *= np.minimum(1.0, (p.patience + 1) / (1 + wait))  # served before patience runs out
    expected_success = (preference * expected).sum(axis=1)
    procedures = 1 + c.pending_count[who]
    quits = rng.random(who.size) < logistic(p.giveup_intercept - p.giveup_success_weight * (expected_success - 0.5)
                                            + p.burden_weight * (procedures - 1))
    quits |= stranded
    if score_shift is not None:  # a well-rated channel draws more, in the second stage only
        preference = choice_probabilities(utility + score_shift)
    pick = _CHANNELS[draw_choice(preference, rng)]

    devices = np.array([p.faq_quality, p.public_qa, p.forum])
    online = np.flatnonzero((pick == Channel.ONLINE) & ~quits)
    if devices.sum() > 0 and online.size:
        unsure = online[rng.random(online.size) < 1 - c.knowledge[who[online]]]
        device = np.searchsorted(np.cumsum(devices) / devices.sum(), rng.random(unsure.size), side="right")
        pick[unsure] = np.asarray([Channel.FAQ, Channel.PUBLIC_QA, Channel.FORUM])[np.minimum(device, 2)]
    c.request_channel[who] = pick
    give_up(model, who[quits])
