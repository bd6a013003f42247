"""Story files: a scripted lesson for the teacher's page (``crmsim viz --story paper``).

A story steps a class through a question, one stage after another, on the
same citizens: each stage switches the policy on and runs it for a fixed
number of weeks, with a caption saying what to watch. Trust, knowledge and
the network carry over from one stage to the next (a digital-first year
leaves its distrust to the mediation that follows), and so do the yearly
rates (the last 52 weeks), so a stage of a year ends on its own policy's
rates; the charts start again at each stage. The page plays the stages in
turn, stops after the last and sums them up (``viz/page_story.py``).

A story file (``scenarios/stories/paper.toml`` is the shipped one)::

    title = "Who is left behind when the administration goes digital?"
    citizens = 500                      # optional: 100 to 2000 (the page's range)

    [[stage]]
    scenario = "../calibrated_baseline.toml"   # relative to the story file
    weeks = 52                          # 1 to 520
    caption = "The administration as it is: counters open, a few online services."

    [[stage]]
    scenario = "../digital_first.toml"
    title = "Digital first"             # optional: default, the scenario file's title
    policy = ["digital_first"]          # optional: replaces the scenario file's policy
    weeks = 52
    caption = "Counters close. Watch the least skilled quarter's non-take-up."

Every stage must share the first stage's world (population, network,
behaviour, administrations): only the policy, levers and prices may change.

>>> story = load_story("scenarios/stories/paper.toml")
>>> [stage.weeks for stage in story.stages], story.stages[0].title
([52, 52, 52], 'Calibrated baseline')
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from crmsim.model.scenario import Scenario, ScenarioError, load_scenario
from crmsim.model.text import explain_invalid, one_line, read_toml
from crmsim.viz.page_scenarios import STORY_VARIABLE, default_folder, title_of

__all__ = ["Stage", "Story", "StoryError", "load_story", "parse_story", "story_path", "page_story", "MAX_WEEKS"]

EXAMPLE = "scenarios/stories/paper.toml"
MAX_WEEKS = 520  # ten years a stage
MAX_STAGES = 12
CITIZENS = (100, 2000)  # the page's range (viz/app.py PAGE_RANGES)

_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=600)]
_Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class StoryError(ScenarioError):
    """A story file that cannot be used; the message is one line naming the file and the field."""


class StoryStage(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    scenario: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    weeks: Annotated[int, Field(ge=1, le=MAX_WEEKS)]
    caption: _Text
    title: _Title | None = None
    policy: str | Annotated[list[str], Field(min_length=1, max_length=12)] | None = None


class _StoryFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    title: _Title
    description: Annotated[str, StringConstraints(max_length=600)] = ""
    citizens: Annotated[int, Field(ge=CITIZENS[0], le=CITIZENS[1])] | None = None
    stage: Annotated[list[StoryStage], Field(min_length=1, max_length=MAX_STAGES)]


@dataclass(frozen=True)
class Stage:
    """One stage: its title, its scenario (its ``steps`` are the stage's weeks), and its caption."""

    title: str
    spec: Scenario
    caption: str

    @property
    def weeks(self) -> int:
        return self.spec.steps


@dataclass(frozen=True)
class Story:
    """A validated story: its title, description, population (None: the page's) and stages."""

    title: str
    description: str
    citizens: int | None
    stages: tuple[Stage, ...]
    path: Path


def parse_story(data: dict[str, Any], source: str, base_dir: str | Path) -> Story:
    """Validate a story given as a dict; stage scenarios are paths relative to ``base_dir``."""
    if not isinstance(data, dict):
        raise StoryError(f"{source}: (top level): expected a table of fields")
    try:
        story = _StoryFile.model_validate(data)
    except ValidationError as err:
        raise StoryError(explain_invalid(source, err, EXAMPLE)) from None
    stages = []
    for i, stage in enumerate(story.stage):
        where = f"{source}: stage[{i}]"
        path = Path(base_dir) / stage.scenario
        try:
            spec = load_scenario(path)
        except ScenarioError as err:
            raise StoryError(one_line(f"{where}.scenario: {err}")) from None
        changes = {"steps": stage.weeks} | ({"policy": stage.policy} if stage.policy is not None else {})
        try:
            spec = spec.with_values(changes, where)
        except ScenarioError as err:
            raise StoryError(str(err)) from None
        if stages:
            _check_same_world(stages[0].spec, spec, f"{where}.scenario")
        stages.append(Stage(stage.title or title_of(path), spec, stage.caption))
    return Story(story.title, story.description, story.citizens, tuple(stages), Path(source))


def _check_same_world(first: Scenario, spec: Scenario, where: str) -> None:
    """A stage switches the policy on the same citizens: anything else that differs is refused, by name."""
    a, b = dict(_flat(first.world())), dict(_flat(spec.world()))
    differs = sorted(key for key in a.keys() | b.keys() if a.get(key) != b.get(key))
    if differs:
        raise StoryError(one_line(f"{where}: differs from stage[0]'s world in {', '.join(differs[:5])}; allowed: "
                                  f"scenarios that change only the policy, levers and prices of the same citizens"))


def _flat(table: dict[str, Any], prefix: str = ""):
    for key, value in table.items():
        if isinstance(value, dict):
            yield from _flat(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def load_story(path: str | Path) -> Story:
    """Read and validate a story file (StoryError: one line naming the file and the field)."""
    path = Path(path)
    return parse_story(read_toml(path, "story file", StoryError), str(path), path.parent)


def story_path(name: str) -> Path:
    """``--story NAME``: a shipped story by name (``paper``: ``scenarios/stories/paper.toml``), else a file's path."""
    if "/" in name or name.endswith(".toml"):
        return Path(name)
    stories = default_folder() / "stories"
    if (stories / f"{name}.toml").is_file():
        return stories / f"{name}.toml"
    known = ", ".join(sorted(p.stem for p in stories.glob("*.toml"))) or "none shipped"
    raise StoryError(one_line(f"--story {name}: no such story; allowed: {known}, or a story file's path "
                              f"(scenarios/stories/mine.toml)"))


def page_story() -> Story | None:
    """The story given to ``crmsim viz --story`` (checked there already), or None."""
    named = os.environ.get(STORY_VARIABLE)
    return load_story(named) if named else None
