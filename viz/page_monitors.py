"""The monitors on the teacher's page: four large live numbers, each with its change since the policy started.

NetLogo's models show monitors beside their plots: a class reads "trust 0.61,
down 0.02" faster than it reads a line. The four answer the paper's question
of who is left behind: mean trust, the least skilled quarter's non-take-up,
the lost users, and what it all costs the public purse. Labels, units and
which way is better come from the metric table (:data:`crmsim.model.metrics.INFO`).

The change is against the first week the number is defined (week 0: the
rates are yearly and run on from the warm-up, so an unchanged policy shows
no change but noise), and is coloured green when it goes the better way,
red when the worse.
"""

from __future__ import annotations

import math
from typing import Callable

import solara
import traitlets

from crmsim.texts.i18n import _, difference, number, percent
from crmsim.model.metrics import INFO
from crmsim.viz.classroom import Classroom
from crmsim.viz.page_frames import JS, LatestFrame, use_frames
from crmsim.viz.page_state import use_page

__all__ = ["MONITORED", "MonitorsWidget", "Monitors", "monitor_cards"]

MONITORED = ("trust_mean", "non_take_up_bottom", "lost_users", "public_cost_per_citizen")


class MonitorsWidget(LatestFrame):
    """Cards drawn by the browser (see ``js/monitors.js``)."""

    _esm = JS / "monitors.js"
    rows = traitlets.List(traitlets.Dict()).tag(sync=True)  # per run: its title ("" if one) and its cards
    week = traitlets.Int(0).tag(sync=True)


def _value(metric: str, value: float) -> str:
    unit = INFO[metric].unit
    if unit.startswith("share"):
        return percent(value)
    if unit.startswith("euros"):
        return _("{value} €").format(value=number(value, 2))
    return number(value, 3)


def _change(metric: str, change: float) -> str:
    """'+3.2 points', '−0.004', '+1.20 €': a change, in the unit the value is read in ('no change' if it rounds to 0)."""
    unit = INFO[metric].unit
    if unit.startswith("share"):
        size = _("{value} points").format(value=number(100 * abs(change), 1))
    elif unit.startswith("euros"):
        size = _("{value} €").format(value=number(abs(change), 2))
    else:
        size = difference(abs(change))
    if not any(c in "123456789" for c in size):
        return _("no change")
    return ("+" if change > 0 else "−") + size


def _tone(metric: str, change: float) -> str:
    better = INFO[metric].better
    if change == 0 or better not in ("higher is better", "lower is better"):
        return "same"
    return "better" if (change > 0) == (better == "higher is better") else "worse"


def monitor_cards(records: list[dict[str, float]]) -> list[dict[str, str]]:
    """One card per monitored metric, from one run's weekly records: label, value, change since it was defined."""
    cards = []
    for metric in MONITORED:
        # The first and the last defined weeks, found from each end: each frame reads two records, not every week.
        defined = lambda weeks: next(((w, records[w][metric]) for w in weeks  # noqa: E731
                                      if math.isfinite(records[w][metric])), None)
        start, last = defined(range(len(records))), defined(range(len(records) - 1, -1, -1))
        card = {"metric": metric, "label": _(INFO[metric].label), "value": "–", "change": _("not measured yet"),
                "tone": "same"}
        if start is not None:
            (first_week, first), (_week, now) = start, last
            card["value"] = _value(metric, now)
            card["change"] = _("{change} since week {week}").format(change=_change(metric, now - first),
                                                                    week=first_week)
            card["tone"] = _tone(metric, now - first)
        cards.append(card)
    return cards


def monitors_frame(room: Classroom, titles: tuple[str, ...]) -> Callable[[], dict]:
    """What one frame sends: every run's cards, read when it is sent."""

    def make() -> dict:
        records = [run.records[:] for run in room.runs]  # copies: the model may append a week meanwhile
        return {"rows": [{"title": titles[r] if len(records) > 1 else "", "cards": monitor_cards(run_records)}
                         for r, run_records in enumerate(records)],
                "week": min(len(r) for r in records) - 1}

    return make


@solara.component
def Monitors(model: Classroom):
    """The monitors, as a component Mesa's SolaraViz can place."""
    page = use_page()
    titles = tuple(page.title(i) for i in range(len(model.runs)))
    element = MonitorsWidget.element()
    use_frames(element, monitors_frame(model, titles), [model, titles])
    return element
