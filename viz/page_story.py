"""A story on the teacher's page: the banner with the stage on show and its caption, the stages' list, and the summary.

The stage changes while the model plays, in the model's thread, with no
render of the page: so the banner is a :class:`~crmsim.viz.page_frames.LatestFrame`
like the drawings, sent each week the model steps.

The charts and the monitors' changes start again at each stage, so a
caption's question ("do the lost users stop growing?") is answered across
stages by the summary the banner shows at the story's end: the monitored
yearly rates where the story started and at each stage's end, each with its
change over the stage, coloured by the monitors' rule (:mod:`~crmsim.viz.page_change`).
A stage of a year ends on a yearly rate that is its own policy's alone.
"""

from __future__ import annotations

from typing import Callable

import solara
import traitlets

from crmsim.texts.i18n import _, ngettext
from crmsim.model.metrics import INFO
from crmsim.viz.classroom import Classroom
from crmsim.viz.page_change import judge, shown_change, shown_value, verdict_text
from crmsim.viz.page_frames import JS, LatestFrame, use_frames
from crmsim.viz.page_monitors import MONITORED
from crmsim.viz.story import Story

__all__ = ["StoryBanner", "StoryCard", "StoryWidget", "story_frame", "story_summary"]


class StoryWidget(LatestFrame):
    """The banner drawn by the browser (see ``js/story.js``)."""

    _esm = JS / "story.js"
    heading = traitlets.Unicode("").tag(sync=True)
    caption = traitlets.Unicode("").tag(sync=True)
    stage = traitlets.Int(1).tag(sync=True)  # 1, 2, ...
    week = traitlets.Int(0).tag(sync=True)
    over = traitlets.Bool(False).tag(sync=True)
    summary = traitlets.Dict({}).tag(sync=True)  # at the story's end (story_summary), else empty


def story_summary(room: Classroom) -> dict:
    """The story across its stages: the monitored yearly rates at its start and at each stage's end.

    Each stage's row has, per metric, its value at the stage's end and its
    change over the stage, judged like the monitors' ("within noise", better,
    worse). Returns a title, the columns' labels and the rows.
    """
    stages = room.stage_records()
    start = stages[0][0]
    rows = [{"title": _("At the start"), "cells": [{"value": shown_value(m, start[m]), "change": "", "tone": "same"}
                                                   for m in MONITORED]}]
    for number, records in enumerate(stages, start=1):
        cells = []
        for metric in MONITORED:
            change = judge(metric, [record[metric] for record in records])
            verdict = verdict_text(change)
            text = shown_change(metric, change.size) if change.verdict != "not measured" else ""
            cells.append({"value": shown_value(metric, records[-1][metric]),
                          "change": f"{text} · {verdict}" if text and verdict else text, "tone": change.tone})
        weeks = ngettext("{n} week", "{n} weeks", len(records) - 1).format(n=len(records) - 1)
        rows.append({"title": f"{number}. {_(room.story.stages[number - 1].title)} ({weeks})", "cells": cells})
    return {"title": _("The story stage by stage: each stage's yearly rates (the last 52 weeks) at its end, and "
                       "their change over the stage"),
            "columns": [_(INFO[m].label) for m in MONITORED], "rows": rows}


def story_frame(room: Classroom) -> Callable[[], dict]:
    """What one frame sends: the stage on show, its week, its caption (or that the story is over)."""

    def make() -> dict:
        story, number, run = room.story, room.stage, room.runs[0]
        stage = story.stages[number]
        over = not room.running
        heading = _("Stage {stage} of {stages}: {title}, week {week} of {weeks}").format(
            stage=number + 1, stages=len(story.stages), title=_(stage.title), week=run.policy_weeks,
            weeks=stage.weeks)
        if over:
            heading += " · " + _("the story is over: Reset plays it again")
        return {"heading": heading, "caption": _(stage.caption), "stage": number + 1, "week": run.policy_weeks,
                "over": over, "summary": story_summary(room) if over else {}}

    return make


@solara.component
def StoryBanner(model: Classroom):
    element = StoryWidget.element()
    use_frames(element, story_frame(model), [model])
    return element


@solara.component
def StoryCard(story: Story):
    """The sidebar's card: the story's title and description, and its stages with their weeks."""
    with solara.Card(_("Story")):
        solara.Text(_(story.title), style={"font-weight": "bold"})
        if story.description:
            solara.Div(children=[_(story.description)], style={"font-size": "13px", "margin": "6px 0"})
        for number, stage in enumerate(story.stages, start=1):
            weeks = ngettext("{n} week", "{n} weeks", stage.weeks).format(n=stage.weeks)
            solara.Div(children=[f"{number}. {_(stage.title)} ({weeks})"], style={"font-size": "13px"})
        solara.Div(children=[_("Press ▶: the stages play one after another on the same citizens, then stop. "
                               "Reset plays the story again.")],
                   style={"font-size": "13px", "color": "#555", "margin-top": "8px"})
