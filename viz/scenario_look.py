"""How a comparison's page tells its scenarios apart: a readable name and a colour of its own, the same everywhere.

A workshop compares up to twenty policies at once. Ten colours (D3's) made
two policies share a colour in every chart; here every scenario after the
reference takes its own colour from plotly's Dark24 palette (24 colours,
all dark enough to read on white), in the order the files were given, and
the reference is grey. Past 24 scenarios the colours start again; the names
still tell them apart. Names come from :func:`crmsim.texts.labels.scenario_labels`,
in the current language.
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.colors

from crmsim.texts.labels import scenario_labels

__all__ = ["PALETTE", "REFERENCE_COLOUR", "Look", "look", "rgba"]

PALETTE = plotly.colors.qualitative.Dark24
REFERENCE_COLOUR = "#7f7f7f"


@dataclass(frozen=True)
class Look:
    """Per scenario label (a file's stem): its name for people and its colour."""

    names: dict[str, str]
    colours: dict[str, str]

    def name(self, scenario: str) -> str:
        return self.names.get(scenario, scenario)

    def colour(self, scenario: str) -> str:
        return self.colours.get(scenario, REFERENCE_COLOUR)


def look(labels: list[str]) -> Look:
    """The names and colours of ``labels`` (the first is the reference)."""
    colours = {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels[1:])}
    if labels:
        colours[labels[0]] = REFERENCE_COLOUR
    return Look(scenario_labels(labels), colours)


def rgba(colour: str, alpha: float) -> str:
    """A '#rrggbb' colour made see-through, for a band under its line."""
    r, g, b = plotly.colors.hex_to_rgb(colour)
    return f"rgba({r},{g},{b},{alpha})"
