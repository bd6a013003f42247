"""Each point of a front as a scenario file, so that ``crmsim compare`` and the teacher's page can open it.

A point is the search's base scenario with the searched levers set to the
point's values. The file is ``crmsim new-scenario``'s commented copy
(:func:`crmsim.texts.scenario_file.scenario_text`: every lever written out, with its
meaning and allowed values), under a header saying which point it is and what
the search measured for it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from crmsim.experiments.store import atomic_write

__all__ = ["point_scenarios", "base_file"]


def base_file(frontier: Any) -> str:
    """The search's base scenario file, as a path from here (what a point is compared with)."""
    return os.path.normpath(Path(frontier.experiment.source).parent / frontier.experiment.spec.scenario)


def point_scenarios(frontier: Any, front: pd.DataFrame, folder: Path) -> list[Path]:
    """Write ``folder/point_NN.toml`` for every point of ``front`` (replacing the folder's old points)."""
    from crmsim.viz.frontier_report import objective_text
    from crmsim.texts.scenario_file import scenario_text

    if folder.is_dir():
        shutil.rmtree(folder)  # the points of an earlier session of this search: the front has moved since
    folder.mkdir(parents=True)
    base, source = frontier.experiment.base, base_file(frontier)
    width = len(str(len(front)))
    written = []
    for _, row in front.iterrows():
        number = str(int(row["point"])).zfill(max(2, width))
        target = folder / f"point_{number}.toml"
        measured = ", ".join(f"{o.metric} {objective_text(o, row[o.metric])}" for o in frontier.objectives)
        scenario = base.with_values({path: _plain(row[name]) for name, path in frontier.levers.items()} | {
            "description": f"Point {number} of the front found by crmsim frontier ({frontier.name}): {measured}"},
            source=str(target))
        header = [f"# Point {number} of the efficiency frontier {frontier.name} ({frontier.experiment.source})",
                  f"# Measured by the search (means of {frontier.replications} runs picked for being good, so "
                  f"flattering; compare it for intervals):",
                  f"#   {measured}", ""]
        text = "\n".join(header) + scenario_text(scenario, source, f"front_point_{number}", target)
        atomic_write(target, lambda p, t=text: p.write_text(t, encoding="utf-8"))
        written.append(target)
    return written


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
