"""``Classroom``: the Mesa model behind the teacher's page, one scenario or two stepped in lockstep.

Mesa's SolaraViz drives one model: play, step and reset call its ``step``,
read its ``running`` and rebuild it with ``type(model)(**parameters)``. To
show "what if we add a redress procedure?", the page needs two runs that
share everything but the policy: the same seed, so the same citizens, the
same network and the same warm-up. ``Classroom`` holds them (``runs``) and
steps them together, so Mesa's controls work on the pair as on one model.

A week on the page lasts at least :data:`FASTEST_WEEK`: Mesa's play
interval goes down to 1 ms, and a model stepping every few milliseconds
changes the page's state during every render pass, until the server gives up
rendering (reacton: "your render loop does not stop") and the page freezes.
Twenty weeks a second is more than a class can follow anyway.

Reset rebuilds the model; when the teacher changed only levers (or nothing),
the world and seed are those of the last build, so the warmed-up model kept
from it is branched again (:func:`warmed_run`) instead of warming up anew.

It also keeps, per run, what the page has seen of each citizen (:class:`Seen`):
the last channel (the model keeps only the current week's), updated every
week, so the page can colour by it even when it skips weeks it has no time to
draw.

>>> room = Classroom("scenarios/supply_front_office.toml", "scenarios/redress_procedure.toml", n_citizens=200)
>>> room.step(); [run.policy_weeks for run in room.runs]
[1, 1]
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from crmsim.model.agents import Channel
from crmsim.model.model import CrmModel
from crmsim.model.scenario import Scenario, load_scenario
from crmsim.viz.page_countries import in_country
from crmsim.viz.story import Story, load_story

__all__ = ["Classroom", "CLASS_SIZE", "FASTEST_WEEK", "Seen", "warmed_run"]

FASTEST_WEEK = 0.05  # seconds: the shortest a week lasts on the page, whatever Mesa's play interval

# The page opens with a population a class can watch move (and any laptop draws smoothly);
# the model's own default (model.params) is a thousand.
CLASS_SIZE = 500

# Warmed-up models kept for Reset, by world and seed: a few tabs' worth (a page's model is small).
KEPT_WARM = 4
_warm: OrderedDict[tuple[str, int], CrmModel] = OrderedDict()
_warm_lock = threading.Lock()


def warmed_run(spec: Scenario, rng: Any) -> CrmModel:
    """A model of ``spec`` from seed ``rng``, ready for its first policy week; the same as ``CrmModel(spec, rng)``.

    The warm-up is run once per world and seed and kept: the next call with
    the same world and seed (a Reset after moving levers) branches the kept
    model instead. A seed that is not an integer (a Generator) is not kept.
    """
    if not isinstance(rng, (int, np.integer)):
        return CrmModel(spec, rng=rng)
    key = (spec.world_key(), int(rng))
    with _warm_lock:
        warm = _warm.get(key)
        if warm is not None:
            _warm.move_to_end(key)
    if warm is None:
        warm = CrmModel(spec, rng=int(rng))
        with _warm_lock:
            _warm[key] = warm
            while len(_warm) > KEPT_WARM:
                _warm.popitem(last=False)
    return warm.branch(spec)


@dataclass
class Seen:
    """What the page remembers of each citizen of one run, week after week (the model keeps only totals)."""

    last_channel: np.ndarray  # the channel of the last request handled or given up (Channel.NONE: none yet)
    weeks: int = 0  # weeks seen: the page's own clock, which a story's switch of policy does not restart

    @classmethod
    def start(cls, run: CrmModel) -> "Seen":
        return cls(np.full(run.n_citizens, Channel.NONE, dtype=np.int8))

    def update(self, run: CrmModel) -> None:
        """After a week of ``run``: its channels."""
        week = run.week
        self.last_channel[week.gave_up] = Channel.GIVE_UP
        self.last_channel[week.served] = week.served_channel  # a request handled says more than one given up
        self.weeks += 1


class Classroom(mesa.Model):
    """One scenario, or two in lockstep from the same seed; what the teacher's page shows.

    Args:
        left: the scenario (a file path or a validated scenario).
        right: a second scenario to compare with, or None.
        story: a story (``viz/story.py``: a file path or a loaded story) to
            play instead of ``left``: its stages in turn, on the same citizens.
        rng: seed; default: the left scenario's seed. Both runs use it.
        scenario: Mesa's parameter object, which SolaraViz passes on Reset;
            handed to the left run (see ``CrmModel``).
        n_citizens: the population of both runs.
        country: the country both scenarios run in (a code of
            ``crmsim.model.countries.available()``); None: each its own.
        **levers: parameter values for the left scenario only; the right
            one runs as its file says.
    """

    def __init__(self, left: str | Path | Scenario | None = None, right: str | Path | Scenario | None = None, *,
                 story: str | Path | Story | None = None, rng: Any = None,
                 scenario: mesa.experimental.scenarios.Scenario | None = None, n_citizens: int = CLASS_SIZE,
                 country: str | None = None, **levers: Any) -> None:
        self.story = load_story(story) if isinstance(story, (str, Path)) else story
        self.stage = 0
        self._stages_done: list[list[dict[str, float]]] = []  # a story's finished stages: their weekly records
        if self.story is not None:
            if right is not None or levers or country is not None:
                raise ValueError("a story runs its stages as written: no second scenario, no levers, no country")
            left = self.story.stages[0].spec
        left_spec = in_country(_spec(left), country).with_values({"n_citizens": n_citizens})
        if rng is None:
            rng = scenario.rng if scenario is not None and scenario.rng is not None else left_spec.seed
        super().__init__(rng=rng)
        first = warmed_run(*CrmModel.resolve(left_spec, rng=rng, scenario=scenario, **levers))
        self.runs = [first]
        if right is not None:
            right_spec = in_country(_spec(right), country).with_values({"n_citizens": n_citizens})
            # Same world: fork the warmed-up model (identical to building it, without a second warm-up).
            same_world = right_spec.world() == first.spec.world()
            self.runs.append(first.branch(right_spec) if same_world else CrmModel(right_spec, rng=rng))
        self.seen = [Seen.start(run) for run in self.runs]
        self.running = True
        self._last_week = -FASTEST_WEEK

    @property
    def weeks(self) -> int:
        """Weeks the policy has run (the same in every run)."""
        return self.runs[0].policy_weeks

    def step(self) -> None:
        """One week in every run, then what the page sees of it; at least FASTEST_WEEK after the last week.

        In a story, the week that ends a stage switches the policy to the
        next stage's (``CrmModel.switch_policy``); the last stage's last week
        stops the page.
        """
        time.sleep(max(0.0, self._last_week + FASTEST_WEEK - time.monotonic()))
        self._last_week = time.monotonic()
        for run, seen in zip(self.runs, self.seen):
            run.step()
            seen.update(run)
        if self.story is not None and not self.runs[0].running and self.stage + 1 < len(self.story.stages):
            self.stage += 1
            run = self.runs[0]
            self._stages_done.append(run.records)  # the switch starts a new list: this one stays the stage's
            run.switch_policy(self.story.stages[self.stage].spec.with_values({"n_citizens": run.n_citizens}))
        self.running = all(run.running for run in self.runs)

    def stage_records(self) -> list[list[dict[str, float]]]:
        """A story's stages so far, each its weekly records from its start (the one on show last)."""
        return [*self._stages_done, self.runs[0].records]


def _spec(scenario: str | Path | Scenario) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
