"""Phase 1: needs arise, from each role's routine and from life events, and free citizens take one up.

Needs wait in ``pending`` (one flag per administration) until the citizen,
who handles one request at a time, takes them up. Without a single front
office a request covers one administration (a pending one at random), so a
life event touching three administrations takes three requests, one after the
other; with it, one request covers every pending need (paper 2.3: "the citizen
is considered as a whole"). A need arising where one is already pending is the
same matter and is not counted again.

This module also closes requests (:func:`close_requests`, :func:`give_up`),
which the channel and resolution phases call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crmsim.model.agents import Channel
from crmsim.model.phases.state import WEEKS_PER_YEAR, count_into

if TYPE_CHECKING:
    from crmsim.model.model import CrmModel

__all__ = ["arise_needs", "close_requests", "give_up"]


def arise_needs(model: "CrmModel") -> None:
    """Routine needs per role (Poisson at each administration's rate), and life events; then take-up."""
    c, rng, n, t = model.citizens, model.rng, model.n_citizens, model.tally
    who, column, from_event = [], [], []

    def add(citizens: np.ndarray, admin: int, event: bool) -> None:
        who.append(citizens)
        column.append(np.full(citizens.size, admin, dtype=np.int64))
        from_event.append(np.full(citizens.size, event))

    for admin in model.administrations:
        members = model.role_members[admin.column]
        k = rng.binomial(members.size, 1.0 - np.exp(-admin.need_rate)) if members.size else 0
        add(members[rng.choice(members.size, size=k, replace=False)], admin.column, False)
    for event in model.life_events:
        hit = rng.choice(n, size=rng.binomial(n, 1.0 - np.exp(-event.rate / WEEKS_PER_YEAR)), replace=False)
        for admin in event.always:
            add(hit, admin, True)
        for admin in event.if_role:
            add(hit[c.roles[hit, admin]], admin, True)
    n_admins = len(model.administrations)
    key, which = np.unique(np.concatenate(who) * n_admins + np.concatenate(column), return_inverse=True)
    event = np.bincount(which, weights=np.concatenate(from_event), minlength=key.size) > 0  # any of its draws
    who, column = key // n_admins, key % n_admins
    fresh = ~c.pending[who, column]  # a need already waiting there is the same matter
    who, column, event = who[fresh], column[fresh], event[fresh]
    c.pending[who, column] = True
    c.pending_event[who, column] = event
    citizens, times = np.unique(who, return_counts=True)
    c.pending_count[citizens] += times.astype(c.pending_count.dtype)
    c.needs[citizens] += times.astype(c.needs.dtype)
    t.needs += who.size
    t.needs_by_admin += np.bincount(column, minlength=n_admins)
    t.event_needs += int(event.sum())
    t.bottom_needs += int(model.bottom_quartile[who].sum())
    t.offline_needs += int(c.offline[who].sum())
    count_into(t.needs_by_quartile, model.skill_quartile[who])
    _take_up(model)


def _take_up(model: "CrmModel") -> None:
    """Each citizen with no request in hand and a need waiting takes up a request."""
    c, rng = model.citizens, model.rng
    who = np.flatnonzero((c.request_lead < 0) & (c.pending_count > 0))
    model.week.new = who
    if who.size == 0:
        return
    waiting, from_event = c.pending[who], c.pending_event[who]  # each read once, written once below
    keys = rng.random(waiting.shape)
    keys[~waiting] = -1.0
    lead = keys.argmax(axis=1)
    if model.p.single_front_office:
        covered = waiting
    else:
        covered = np.zeros_like(waiting)
        covered[np.arange(who.size), lead] = True
    c.request[who] = covered
    c.request_event[who] = from_event & covered
    c.pending[who] = waiting & ~covered
    c.pending_event[who] = from_event & ~covered
    c.pending_count[who] -= covered.sum(axis=1, dtype=c.pending_count.dtype)
    c.request_lead[who] = lead
    c.request_since[who] = model.steps
    c.request_channel[who] = Channel.NONE


def close_requests(model: "CrmModel", who: np.ndarray) -> None:
    """The requests of ``who`` are over (handled or given up)."""
    c = model.citizens
    c.request[who] = False
    c.request_event[who] = False
    c.request_lead[who] = -1
    c.request_channel[who] = Channel.NONE


def give_up(model: "CrmModel", who: np.ndarray) -> None:
    """``who`` give up their requests: every need they cover is not taken up (non-take-up)."""
    if who.size == 0:
        return
    c, week = model.citizens, model.week
    rows, admins = np.nonzero(c.request[who])
    c.gave_up[who] += c.request[who].sum(axis=1, dtype=np.int32)
    model.tally.gave_up += rows.size
    model.tally.gave_up_by_admin += np.bincount(admins, minlength=model.tally.gave_up_by_admin.size)
    model.tally.bottom_gave_up += int(model.bottom_quartile[who[rows]].sum())
    model.tally.offline_gave_up += int(c.offline[who[rows]].sum())
    week.gave_up = np.concatenate([week.gave_up, who[rows]])
    week.gave_up_admin = np.concatenate([week.gave_up_admin, admins])
    close_requests(model, who)
