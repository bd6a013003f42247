"""A story on the teacher's page: the banner with the stage on show and its caption, and the stages' list.

The stage changes while the model plays, in the model's thread, with no
render of the page: so the banner is a :class:`~crmsim.viz.page_frames.LatestFrame`
like the drawings, sent each week the model steps.
"""

from __future__ import annotations

from typing import Callable

import solara
import traitlets

from crmsim.texts.i18n import _, ngettext
from crmsim.viz.classroom import Classroom
from crmsim.viz.page_frames import JS, LatestFrame, use_frames
from crmsim.viz.story import Story

__all__ = ["StoryBanner", "StoryCard", "StoryWidget", "story_frame"]


class StoryWidget(LatestFrame):
    """The banner drawn by the browser (see ``js/story.js``)."""

    _esm = JS / "story.js"
    heading = traitlets.Unicode("").tag(sync=True)
    caption = traitlets.Unicode("").tag(sync=True)
    stage = traitlets.Int(1).tag(sync=True)  # 1, 2, ...
    week = traitlets.Int(0).tag(sync=True)
    over = traitlets.Bool(False).tag(sync=True)


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
                "over": over}

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
