"""The scenario files the teacher's page offers: each file's title and description, read once.

A scenario file starts with a comment whose first line is its title
("# Redress procedure"); its ``description`` field says in one line what it
does. The picker shows both, so a teacher chooses by meaning, not by file name,
in the page's language: title and description are English texts the catalogue
translates (the shipped scenarios' are in it; a teacher's own file shows as written).

>>> from pathlib import Path
>>> entry = catalogue(Path("scenarios"))["redress_procedure"]
>>> entry.title
'Redress procedure'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from crmsim.texts.i18n import _
from crmsim.model.scenario import Scenario, ScenarioError, load_scenario

__all__ = ["Entry", "catalogue", "page_scenario", "default_folder", "SCENARIO_VARIABLE", "STORY_VARIABLE", "BASELINE"]

# `crmsim viz SCENARIO` and `crmsim viz --story S` hand their file to the page (a separate module loaded
# by the server) through these.
SCENARIO_VARIABLE = "CRMSIM_VIZ_SCENARIO"
STORY_VARIABLE = "CRMSIM_VIZ_STORY"
BASELINE = "calibrated_baseline"  # what the page opens on when no scenario is named (the calibrated default)
_SHIPPED = Path(__file__).resolve().parents[1] / "scenarios"  # beside the package in a source checkout


@dataclass(frozen=True)
class Entry:
    """One scenario file: its stem (the key), title as written, validated scenario and path."""

    key: str
    title: str
    spec: Scenario
    path: Path

    @property
    def label(self) -> str:
        """The title in the page's language."""
        return _(self.title)

    @property
    def description(self) -> str:
        """The description in the page's language."""
        return _(self.spec.description) if self.spec.description else ""


def title_of(path: Path) -> str:
    """The first line of the file's opening comment, or the file's stem if it has none."""
    with path.open(encoding="utf-8") as source:
        first = source.readline().strip()
    return first.lstrip("#").strip() if first.startswith("#") and first.lstrip("#").strip() else path.stem


def catalogue(folder: Path) -> dict[str, Entry]:
    """Every valid scenario file in ``folder``, by stem, in file-name order (a broken file is left out)."""
    entries = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            entries[path.stem] = Entry(path.stem, title_of(path), load_scenario(path), path)
        except ScenarioError:
            continue  # `crmsim validate` names the problem; the page shows the files that work
    return entries


def page_scenario() -> tuple[dict[str, Entry], str]:
    """The scenarios on offer and the one to open on.

    The scenario given to ``crmsim viz`` (if any) is opened on, among the
    other files of its folder; otherwise the shipped ``scenarios/`` folder and
    its baseline.
    """
    named = os.environ.get(SCENARIO_VARIABLE)
    if named:
        path = Path(named)
        entries = catalogue(path.parent)
        if path.stem not in entries:  # checked by `crmsim viz` already: this is a file that changed since
            entries[path.stem] = Entry(path.stem, title_of(path), load_scenario(path), path)
        return entries, path.stem
    entries = catalogue(default_folder())
    return entries, BASELINE if BASELINE in entries else next(iter(entries), "")


def default_folder() -> Path:
    """The scenarios offered when none is named: the shipped ones, else ./scenarios (an installed copy)."""
    return _SHIPPED if _SHIPPED.is_dir() else Path("scenarios")
