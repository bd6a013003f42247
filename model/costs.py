"""What a policy costs: public euros by item, and citizens' own hours, over the last 52 weeks.

The paper's trade-off (New Public Management copies Customer Relationship
Management to cut the cost of a contact) needs a price on what each policy
does. Prices are parameters (the ``costs`` section of ``model.params``, euros
at 2023 prices, each with its source); they change no behaviour.

Each week's euros are priced when the week closes (:func:`week_euros`, into
the week's tally) and summed over the last 52 weeks like every other count
(``model.ledger``), so a cost per citizen a year is the last year's, read the
same at any week of a run.

Public money, by item (:data:`ITEMS`):

- ``counters`` and ``phone``: the counter-and-phone capacity *employed*
  (``counter_capacity`` contacts a week, staff paid whether busy or not),
  split by ``phone_share``, priced per contact;
- ``online``: requests handled online, per request;
- ``prescribers``: requests handled by a funded prescriber (a one-stop desk),
  per request; unfunded prescribers (associations, family) cost the public
  nothing;
- ``redress``: each case decided, at an ombudsman's budget over the cases it
  handles (so idle capacity is not priced: its staff do other work), and a
  data-protection recourse when there is one, per citizen per year (shared
  equally between administrations);
- ``devices``: FAQ, public Q&A, forum moderation, personal space, voice
  collection, publication and a rating platform, a yearly cost per 1000 citizens at full
  setting, scaled by the lever;
- ``fixes``: the improvement staff employed (``improvement_weeks`` a year of
  a team the size of the counter, priced like the counter's staff, paid
  whether used or not), plus ``cost_fix`` for each fix made (design, IT).

Every item but ``devices`` is also counted by administration
(:func:`by_administration`); devices serve all and are shown apart.

Citizens' hours are counted apart (the tally's ``hours_by_quartile``: each
request's hours by channel, and each week waiting in the counter queue), never
added to euros.

Examples
--------
>>> from crmsim.model.model import CrmModel
>>> m = CrmModel(n_citizens=200, prescribers_per_1000=20, warmup=4, steps=4)
>>> _ = m.run()
>>> items = spending(m)
>>> round(sum(items.values()), 6) == round(total_public(m), 6)
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from crmsim.model.model import CrmModel

__all__ = ["ITEMS", "DEVICES", "week_euros", "by_administration", "spending", "administration_total", "total_public", "per_citizen_year", "WEEKS_PER_YEAR", "PER"]

ITEMS = ("counters", "phone", "online", "prescribers", "redress", "devices", "fixes")
# Each device's yearly price at full setting, and the lever that scales it.
DEVICES = {"cost_faq": "faq_quality", "cost_public_qa": "public_qa", "cost_forum": "forum",
           "cost_personal_space": "personalisation", "cost_voice": "voice_collection",
           "cost_transparency": "transparency", "cost_ratings": "ratings"}
WEEKS_PER_YEAR = 52
PER = 1000  # device, fix and data-protection prices are per 1000 citizens


def week_euros(model: "CrmModel") -> np.ndarray:
    """This week's public euros, by item (rows, :data:`ITEMS`) and administration (columns; the last column is
    the devices every administration shares), from the week's tally and today's prices and levers."""
    p, t = model.p, model.tally
    thousands = model.n_citizens / PER
    n_admins = len(model.administrations)
    euros = np.zeros((len(ITEMS), n_admins + 1))
    staff_contacts = model.counter_capacity
    staff_price = (1 - p.phone_share) * p.cost_counter_contact + p.phone_share * p.cost_phone_contact
    improvement = p.improvement_weeks / WEEKS_PER_YEAR * model.counter_capacity  # a week's share, in contacts
    data_protection = bool(p.data_protection_redress) * p.cost_data_protection * thousands / WEEKS_PER_YEAR / n_admins
    row = {item: i for i, item in enumerate(ITEMS)}
    euros[row["counters"], :n_admins] = staff_contacts * (1 - p.phone_share) * p.cost_counter_contact
    euros[row["phone"], :n_admins] = staff_contacts * p.phone_share * p.cost_phone_contact
    euros[row["online"], :n_admins] = t.online_by_admin * p.cost_online_contact
    euros[row["prescribers"], :n_admins] = t.funded_by_admin * p.cost_assisted_request
    euros[row["redress"], :n_admins] = t.decided_by_admin * p.cost_redress_case + data_protection
    euros[row["devices"], n_admins] = sum(getattr(p, price) * getattr(p, lever)
                                          for price, lever in DEVICES.items()) * thousands / WEEKS_PER_YEAR
    euros[row["fixes"], :n_admins] = improvement * staff_price + t.fixes_by_admin * p.cost_fix * thousands
    return euros


def by_administration(model: "CrmModel", memo: dict | None = None) -> dict[str, np.ndarray]:
    """Public euros spent over the last 52 weeks, by item and administration.

    Each item is an array over ``model.administrations``, except ``devices``,
    which serve every administration and are a single shared figure (an array
    of one). Online and prescriber requests count for the administration that
    leads them.
    """
    if memo is not None and "spending" in memo:
        return memo["spending"]
    euros = model.year.euros
    items = {item: (euros[i, -1:] if item == "devices" else euros[i, :-1]) for i, item in enumerate(ITEMS)}
    if memo is not None:
        memo["spending"] = items
    return items


def spending(model: "CrmModel", memo: dict | None = None) -> dict[str, float]:
    """Public euros spent over the last 52 weeks, by item (:data:`ITEMS`), every administration."""
    return {item: float(euros.sum()) for item, euros in by_administration(model, memo).items()}


def administration_total(model: "CrmModel", admin: int, memo: dict | None = None) -> float:
    """Public euros one administration spent over the last 52 weeks (shared devices not included)."""
    return float(sum(euros[admin] for item, euros in by_administration(model, memo).items() if item != "devices"))


def total_public(model: "CrmModel", memo: dict | None = None) -> float:
    """Public euros spent over the last 52 weeks, every item."""
    return float(sum(spending(model, memo).values()))


def per_citizen_year(model: "CrmModel", euros: float) -> float:
    """Euros over the last 52 weeks as euros per citizen per year (scaled up when fewer weeks have passed;
    NaN before the first week)."""
    weeks = model.ledger.weeks
    return euros * WEEKS_PER_YEAR / (weeks * model.n_citizens) if weeks else float("nan")
