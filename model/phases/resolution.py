"""Phase 3: requests are served (counter queue, prescriber capacity) and each need succeeds or fails.

A need succeeds when the administration gets it right on its own (probability
``quality``), or else when the citizen's file is complete and right
(``logistic(x)``, see :func:`file_log_odds`) and the administration does not
still decide it wrongly (``admin_error``). So a perfect administration never
fails (DESIGN section 5), and a failure has *merit* (the administration was at
fault) when the file was right but wrongly decided: probability
``(1-q) c e / (1 - q - (1-q) c (1-e))`` among failures, higher for capable
citizens and for error-prone offices. One uniform draw decides both.

With ratings on, the needs handled and the requests abandoned in the queue
are then rated (:func:`~crmsim.model.phases.ratings.rate_services`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crmsim.model.agents import Channel
from crmsim.model.phases.needs import close_requests, give_up
from crmsim.model.phases.queues import first_in_line, logistic, spend, weekly_slots
from crmsim.model.phases.ratings import rate_services
from crmsim.model.phases.state import EMPTY, count_into

if TYPE_CHECKING:
    from crmsim.model.model import CrmModel

__all__ = ["resolve_requests", "file_log_odds"]


def file_log_odds(model: "CrmModel", who: np.ndarray, admin: np.ndarray, channel: np.ndarray) -> np.ndarray:
    """Log-odds that each citizen's file for ``admin`` is complete and right, through ``channel``.

    Skill and knowledge count for, complexity and counter overload against
    (logistic in the spirit of DESIGN section 3). At a counter or with a
    prescriber, staff make up ``counter_help`` of the skill handicap; a counter
    agent also makes up that share of missing knowledge, a prescriber brings
    their own (current) knowledge, and a help device's answer adds its share.
    Online, a poorly fitting offer raises complexity (``online_fit``). A
    personal record helps in proportion to ``personalisation``.
    """
    c, p = model.citizens, model.p
    skill, knowledge = c.skill[who], c.knowledge[who]
    at_desk = channel == Channel.COUNTER
    at_prescriber = channel == Channel.PRESCRIBER
    online = ~(at_desk | at_prescriber)
    skill = np.where(online, skill, skill + p.counter_help * (1 - skill))
    knowledge = knowledge + model.device_gain[channel] * (1 - knowledge)
    knowledge = np.where(at_desk, knowledge + p.counter_help * (1 - knowledge), knowledge)
    if at_prescriber.any():
        knowledge[at_prescriber] = np.maximum(knowledge[at_prescriber], model.helper_knowledge(who[at_prescriber]))
    complexity = model.complexity[admin]
    complexity = np.where(online, 1 - p.online_fit * (1 - complexity), complexity)
    load = np.where(at_desk, model.counter_load[c.request_lead[who]], 0.0)
    record = c.has_record[who, admin] * p.personalisation
    return (p.success_intercept + p.skill_weight * (skill - 0.5) + p.knowledge_weight * (knowledge - 0.5)
            - p.complexity_weight * (complexity - 0.5) - p.load_weight * load + p.personal_weight * record)


def _counter_queue(model: "CrmModel", waiting: np.ndarray) -> np.ndarray:
    """Serve counter requests within each administration's staff, oldest first; return those served.

    The others wait a week more; those who have waited ``patience`` weeks give
    up. Next week's queue signal (people waiting per slot, smoothed by
    ``queue_memory``) deters the counter in channel choice.
    """
    c, p = model.citizens, model.p
    if waiting.size == 0:
        model.counter_wait *= p.queue_memory
        model.counter_load[:] = 0.0
        return EMPTY
    lead = c.request_lead[waiting]
    age = model.steps - c.request_since[waiting]
    slots = weekly_slots(model.counter_credit, model.counter_capacity)
    served = first_in_line(lead, slots, -age, model.rng.random(waiting.size))
    demand = np.bincount(lead, minlength=len(model.administrations))
    used = np.minimum(demand, slots)
    spend(model.counter_credit, used, model.counter_capacity)
    model.counter_load = np.divide(used, np.maximum(slots, 1))
    backlog = np.divide(np.maximum(demand - slots, 0), np.maximum(slots, 1))
    model.counter_wait = p.queue_memory * model.counter_wait + (1 - p.queue_memory) * backlog
    out_of_patience = ~served & (age >= p.patience)
    model.week.abandoned, model.week.abandoned_admin = waiting[out_of_patience], lead[out_of_patience]
    give_up(model, model.week.abandoned)
    return waiting[served]


def _prescriber_slots(model: "CrmModel", asking: np.ndarray) -> np.ndarray:
    """Which of the citizens asking their prescriber get help this week (capacity-limited)."""
    state = model.prescriber_state
    j = model.citizens.helper[asking] - model.n_citizens
    ok = first_in_line(j, state.capacity, model.rng.random(asking.size))
    state.helped[:] = np.bincount(j[ok], minlength=state.helped.size)
    return ok


def resolve_requests(model: "CrmModel") -> None:
    """Serve this week's requests and decide every need they cover.

    Counter requests beyond staff wait (the queue); prescriber requests beyond
    the prescriber's capacity go online unaided, or, for a citizen who never
    goes online or whose procedure is not online, are given up. One contact handles all the needs of a request
    (several at a single front office).
    """
    c, p, rng, week, t = model.citizens, model.p, model.rng, model.week, model.tally
    channel = c.request_channel
    new_channel = channel[week.new]
    at_counter = (np.flatnonzero(channel == Channel.COUNTER) if model.counter_backlog
                  else week.new[new_channel == Channel.COUNTER])
    counter = _counter_queue(model, at_counter)
    model.counter_backlog = at_counter.size > counter.size
    others = week.new[(new_channel >= 0) & (new_channel != Channel.COUNTER)]
    asking = others[channel[others] == Channel.PRESCRIBER]
    model.prescriber_state.helped[:] = 0
    if asking.size:
        helped = _prescriber_slots(model, asking)
        turned_away = asking[~helped]
        channel[turned_away] = Channel.ONLINE
        stuck = turned_away[np.isin(turned_away, week.cannot_go_online)]  # they cannot go online instead
        if stuck.size:
            give_up(model, stuck)
            others = others[~np.isin(others, stuck)]
        assisted = asking[helped]
        institutional = assisted[~model.prescriber_state.informal[c.helper[assisted] - model.n_citizens]]
        count_into(t.institutional_help_by_quartile, model.skill_quartile[institutional])
        funded = assisted[model.prescriber_state.funded[c.helper[assisted] - model.n_citizens]]
        count_into(t.funded_by_admin, c.request_lead[funded])
    served = np.concatenate([others, counter])
    served_channel = channel[served]
    # Citizens' hours (model.costs), by skill quartile: each request served, and each week a request waits at the
    # counter (those served this week do not wait it).
    quartile = model.skill_quartile
    t.hours_by_quartile += np.bincount(quartile[served], weights=model.hours_by_channel[served_channel], minlength=4)
    t.hours_by_quartile += p.hours_waiting_week * (np.bincount(quartile[at_counter], minlength=4)
                                                   - np.bincount(quartile[counter], minlength=4))
    rows, admin = np.nonzero(c.request[served])
    who, need_channel = served[rows], served_channel[rows]
    quality = model.quality[admin]
    file_right = logistic(file_log_odds(model, who, admin, need_channel))
    draw = rng.random(who.size)
    success = draw < quality + (1 - quality) * file_right * (1 - p.admin_error)
    merit = ~success & (draw < quality + (1 - quality) * file_right)  # a right file, wrongly decided

    if p.personalisation > 0:
        c.has_record[who, admin] = True
    count_into(c.successes, who[success])
    count_into(c.failures, who[~success])
    online = np.isin(served_channel, Channel.ONLINE_KINDS)
    c.last_online[served[online]] = model.steps
    event = c.request_event[who, admin]
    t.met += int(success.sum())
    count_into(t.met_by_quartile, quartile[who[success]])
    t.event_met += int((success & event).sum())
    t.failures += int((~success).sum())
    t.contacts += served.size
    t.staff_contacts += counter.size
    t.online_contacts += int(online.sum())
    count_into(t.online_by_admin, c.request_lead[served[online]])
    _publish_success(model, admin, success)

    week.served, week.served_channel = served, served_channel
    week.need_who, week.need_admin, week.need_channel, week.need_success = who, admin, need_channel, success
    failed = ~success
    week.failed, week.failed_admin, week.failed_merit = who[failed], admin[failed], merit[failed]
    week.failed_event = event[failed]
    week.failed_helped = (need_channel[failed] == Channel.PRESCRIBER) | model.funded_tie[who[failed]]
    close_requests(model, served)
    rate_services(model)  # ratings and reviews, when the policy publishes them


def _publish_success(model: "CrmModel", admin: np.ndarray, success: np.ndarray) -> None:
    """Each administration's rolling success rate (what transparency publishes), by ``publication_memory``."""
    handled = np.bincount(admin, minlength=len(model.administrations))
    met = np.bincount(admin[success], minlength=len(model.administrations))
    keep = model.p.publication_memory
    for a in model.administrations:
        if handled[a.column]:
            a.published_success = keep * a.published_success + (1 - keep) * met[a.column] / handled[a.column]
