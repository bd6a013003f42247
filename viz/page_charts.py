"""The live charts on the teacher's page: trust, the knowledge gap, take-up, redress, lost users, ratings.

Titles, units and which way is better come from the metric definitions
(:data:`crmsim.model.metrics.INFO`), never written here; what is written here
is each chart's caption, which says what to look for. With two scenarios on
show, each metric gets one colour and each scenario one line style, so the
two runs overlay on the same axes.

The browser draws each chart as a small SVG (``js/chart.js``); a frame sends
the series so far (a year is 53 points a line; a long run, at most
``MAX_POINTS`` spread over it), and is skipped while the browser is still
drawing the last one (:class:`~crmsim.viz.page_frames.LatestFrame`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import solara
import traitlets

from crmsim.texts.i18n import _, current
from crmsim.texts.labels import colon
from crmsim.model.metrics import INFO
from crmsim.viz.classroom import Classroom
from crmsim.viz.page_frames import JS, LatestFrame, plain, use_frames
from crmsim.viz.page_state import use_page

__all__ = ["Chart", "CHARTS", "ChartWidget", "CHART_COMPONENTS", "chart_frame", "shown_weeks"]

METRIC_COLOURS = ("#0072B2", "#D55E00")  # one per metric of a chart (Okabe and Ito: blue, vermilion)
RUN_DASHES = ("", "6 4")  # one per scenario: the left one solid, the right one dashed
MAX_POINTS = 250  # points a line draws at most


@dataclass(frozen=True)
class Chart:
    """Metrics drawn on one pair of axes (same unit), and a caption saying what to look for."""

    metrics: tuple[str, ...]
    caption: str

    def title(self) -> str:
        return " · ".join(_(INFO[m].label) for m in self.metrics)

    def better(self) -> str:
        """Which way is better: once if the metrics agree, else for each ("Take-up: higher is better; ...")."""
        ways = {INFO[m].better for m in self.metrics}
        if len(ways) == 1:
            return _(ways.pop())
        return "; ".join(colon(_(INFO[m].label), _(INFO[m].better)) for m in self.metrics)

    def unit(self) -> str:
        return " / ".join(dict.fromkeys(_(INFO[m].unit) for m in self.metrics))

    def bounded(self) -> bool:
        """Whether the values are shares or 0-1 scores, drawn on a fixed 0-1 axis (else the axis follows them)."""
        return all(INFO[m].unit.startswith("share") or INFO[m].unit == "score 0-1" for m in self.metrics)


CHARTS = (
    Chart(("trust_mean", "trust_p10"),
          "Trust moves slowly: give it a few months. The lower line is the least trusting tenth of citizens: it "
          "falls first when failures go unanswered, and climbs when people are heard."),
    Chart(("knowledge_skill_gap",),
          "How much more the most digitally skilled quarter knows than the least skilled quarter. A falling line "
          "means help reaches those who need it most; a rising one, that the skilled learn on their own."),
    Chart(("take_up", "non_take_up"),
          "Of every 100 needs of the last 52 weeks: how many were met, and how many the citizen gave up on. The "
          "rest failed or are still open. Compare the gap between the two lines from one scenario to another."),
    Chart(("redress_success",),
          "Of the redress cases closed, the share the citizen won. No line yet means no case has closed. An "
          "independent review wins more of the cases where the administration was wrong."),
    Chart(("lost_users",),
          "Citizens left, in the last 52 weeks, with a failed request and no redress. A yearly share: it falls when "
          "fewer are left alone. Prescribers who help people contest, and a redress procedure people know of, "
          "bring it down."),
    Chart(("published_score", "rated_success"),
          "With ratings and reviews on: the mean rating citizens gave, and the share of those services' needs that "
          "were met. The gap is who rates: the disappointed and the skilled write more. No line means no ratings."),
)


class ChartWidget(LatestFrame):
    """A line chart drawn by the browser (see ``js/chart.js``)."""

    _esm = JS / "chart.js"
    # Once per chart:
    title = traitlets.Unicode("").tag(sync=True)
    subtitle = traitlets.Unicode("").tag(sync=True)
    bounded = traitlets.Bool(True).tag(sync=True)  # a fixed 0-1 axis
    x_label = traitlets.Unicode("").tag(sync=True)
    locale = traitlets.Unicode("en").tag(sync=True)  # how numbers are written: 0.25, or 0,25 in French
    height = traitlets.Int(250).tag(sync=True)
    # Each frame:
    weeks = traitlets.Int(52).tag(sync=True)  # the x axis runs to this week
    x = traitlets.List(traitlets.Int()).tag(sync=True)  # the weeks drawn
    # Per line: metric and its colour, scenario ("" if one) and its dash, values at x (None: no value).
    series = traitlets.List(traitlets.Dict()).tag(sync=True)


def shown_weeks(weeks: int) -> list[int]:
    """The weeks a chart draws out of ``weeks + 1`` recorded: all up to MAX_POINTS, else evenly spread, and the last.

    A chart is a few hundred pixels wide: a longer series would only make
    each frame slower to send and draw as the run goes on.

    >>> shown_weeks(3), len(shown_weeks(5000)), shown_weeks(5000)[-1]
    ([0, 1, 2, 3], 240, 5000)
    """
    stride = -(-(weeks + 1) // MAX_POINTS)  # ceiling division
    return list(range(0, weeks, stride)) + [weeks]


def chart_frame(room: Classroom, chart: Chart, titles: tuple[str, ...]) -> Callable[[], dict]:
    """What one frame of ``chart`` sends: every run's series so far, read when it is sent."""

    def make() -> dict:
        records = [run.records[:] for run in room.runs]  # copies: the model may append a week meanwhile
        weeks = shown_weeks(min(len(r) for r in records) - 1)
        series = []
        for r, run_records in enumerate(records):
            for m, metric in enumerate(chart.metrics):
                series.append({"metric": _(INFO[metric].label), "colour": METRIC_COLOURS[m],
                               "scenario": titles[r] if len(records) > 1 else "", "dash": RUN_DASHES[r],
                               "values": plain(run_records[week][metric] for week in weeks)})
        return {"x": weeks, "series": series, "weeks": max(room.runs[0].spec.steps, weeks[-1])}

    return make


def _chart_component(chart: Chart):
    """One chart and its caption, as a component Mesa's SolaraViz can place."""

    @solara.component
    def ChartView(model: Classroom):
        page = use_page()
        titles = tuple(page.title(i) for i in range(len(model.runs)))
        with solara.Column(gap="2px") as main:
            element = ChartWidget.element(title=chart.title(), subtitle=f"{chart.unit()} · {chart.better()}",
                                          bounded=chart.bounded(), x_label=_("weeks since the policy started"),
                                          locale=current())
            solara.Text(_(chart.caption), style={"font-size": "13px", "color": "#444"})

        use_frames(element, chart_frame(model, chart, titles), [model, titles])
        return main

    ChartView.__name__ = ChartView.__qualname__ = f"Chart_{chart.metrics[0]}"
    return ChartView


CHART_COMPONENTS = [_chart_component(chart) for chart in CHARTS]
