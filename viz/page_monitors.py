"""The monitors on the teacher's page: four large live numbers, each with its change, coloured only beyond noise.

NetLogo's models show monitors beside their plots: a class reads "trust 0.61,
down 0.02" faster than it reads a line. The four answer the paper's question
of who is left behind: mean trust, the least skilled quarter's non-take-up,
the lost users, and what it all costs the public purse. Labels, units and
which way is better come from the metric table (:data:`crmsim.model.metrics.INFO`).

Every number is a yearly rate (the last 52 weeks), and each change compares
like with like (:mod:`~crmsim.viz.page_change`):

- one scenario: its rate now against its rate at the policy's switch (week 0),
  or, in a story, at the stage's start;
- two side by side: the right one's rate against the left one's, the same
  week (both start from the same citizens and seed, so they start equal).

A change is green (better) or red (worse) only when it passes both the
metric's smallest difference that matters and three times the run's own
noise, and the card says so in words ("within noise", "too soon to tell");
the note under the cards states the rule.
"""

from __future__ import annotations

from typing import Callable

import solara
import traitlets

from crmsim.texts.i18n import _
from crmsim.model.metrics import INFO
from crmsim.viz.classroom import Classroom
from crmsim.viz.page_change import MIN_WEEKS, NOISE_TIMES, Change, judge, shown_change, shown_value, verdict_text
from crmsim.viz.page_frames import JS, LatestFrame, use_frames
from crmsim.viz.page_state import use_page

__all__ = ["MONITORED", "MonitorsWidget", "Monitors", "monitor_cards", "comparison_cards", "rule_note"]

MONITORED = ("trust_mean", "non_take_up_bottom", "lost_users", "public_cost_per_citizen")


class MonitorsWidget(LatestFrame):
    """Cards drawn by the browser (see ``js/monitors.js``)."""

    _esm = JS / "monitors.js"
    rows = traitlets.List(traitlets.Dict()).tag(sync=True)  # per run: its title ("" if one) and its cards
    week = traitlets.Int(0).tag(sync=True)
    note = traitlets.Unicode("").tag(sync=True)  # the colouring rule, under the cards


def _card(metric: str, now: float, change: Change, wording: Callable[[str], str]) -> dict[str, str]:
    card = {"metric": metric, "label": _(INFO[metric].label), "value": shown_value(metric, now),
            "change": _("not measured yet"), "verdict": "", "tone": "same"}
    if change.verdict != "not measured":
        card["change"] = wording(shown_change(metric, change.size))
        card["verdict"] = verdict_text(change)
        card["tone"] = change.tone
    return card


def monitor_cards(records: list[dict[str, float]], *, story: bool = False) -> list[dict[str, str]]:
    """One card per monitored metric, from one run's weekly records: its value, and its change since the start.

    The start is the policy's switch (week 0), or in a story the stage's start.
    """
    cards = []
    for metric in MONITORED:
        values = [record[metric] for record in records]
        first = next((week for week, v in enumerate(values) if v == v), 0)  # the first defined week (NaN != NaN)
        cards.append(_card(metric, values[-1], judge(metric, values), _since(None if story else first)))
    return cards


def _since(week: int | None) -> Callable[[str], str]:
    """How a change from the start reads: '+2.1 points since week 0', or in a story (no week) 'since the stage began'."""

    def wording(size: str) -> str:
        if week is None:
            return _("{change} since the stage began").format(change=size)
        return _("{change} since week {week}").format(change=size, week=week)

    return wording


def comparison_cards(records: list[dict[str, float]], reference: list[dict[str, float]],
                     reference_title: str) -> list[dict[str, str]]:
    """One card per monitored metric of a run shown beside ``reference``: its value, and its difference now."""
    weeks = min(len(records), len(reference))

    def against(size: str) -> str:
        return _("{change} against {title}").format(change=size, title=reference_title)

    return [_card(metric, records[weeks - 1][metric],
                  judge(metric, [records[w][metric] - reference[w][metric] for w in range(weeks)]), against)
            for metric in MONITORED]


def rule_note() -> str:
    """What the colours mean, with each metric's smallest difference that matters."""
    mids = " · ".join(f"{_(INFO[m].label)} {shown_change(m, INFO[m].mid).lstrip('+')}" for m in MONITORED)
    return _("Yearly rates: each number counts the last 52 weeks. A change is green (better) or red (worse) only "
             "when it is larger than what matters ({mids}) and than {times} times this run's own week-to-week "
             "noise, from week {weeks} on; grey: within noise. Costs are never called better or worse.").format(
        mids=mids, times=NOISE_TIMES, weeks=MIN_WEEKS)


def monitors_frame(room: Classroom, titles: tuple[str, ...]) -> Callable[[], dict]:
    """What one frame sends: every run's cards, read when it is sent."""

    def make() -> dict:
        records = [run.records[:] for run in room.runs]  # copies: the model may append a week meanwhile
        rows = [{"title": titles[0] if len(records) > 1 else "",
                 "cards": monitor_cards(records[0], story=room.story is not None)}]
        rows += [{"title": titles[r], "cards": comparison_cards(records[r], records[0], titles[0])}
                 for r in range(1, len(records))]
        return {"rows": rows, "week": min(len(r) for r in records) - 1, "note": rule_note()}

    return make


@solara.component
def Monitors(model: Classroom):
    """The monitors, as a component Mesa's SolaraViz can place."""
    page = use_page()
    titles = tuple(page.title(i) for i in range(len(model.runs)))
    element = MonitorsWidget.element()
    use_frames(element, monitors_frame(model, titles), [model, titles])
    return element
