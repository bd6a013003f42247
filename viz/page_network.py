"""The network on the teacher's page: citizens coloured by trust, knowledge, skill, loss or last channel.

Drawing a thousand nodes as a chart every week is what made Mesa's network
view slow (0.3 updates a second: it laid the graph out again each frame). Here
the positions are computed once per network (:func:`~crmsim.viz.page_layout.layout`:
communities apart, cached) and sent
once; each frame sends one byte per citizen, the index of its colour in the
colouring's palette, and the browser repaints a canvas (``js/network.js``).

Prescribers are drawn by kind (informal: triangles; institutional: diamonds,
ringed when funded), and the administrations as squares above the network,
coloured by their users' average of the same quantity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import solara
import traitlets
from matplotlib import colormaps
from matplotlib.colors import to_hex

from crmsim.texts.i18n import _
from crmsim.model.agents import NEVER, Channel
from crmsim.model.metrics import citizen_trust, within_year
from crmsim.model.model import CrmModel
from crmsim.viz.classroom import Classroom, Seen
from crmsim.viz.page_frames import JS, LatestFrame, use_frames
from crmsim.viz.page_layout import layout
from crmsim.viz.page_state import use_page

__all__ = ["COLOURINGS", "Colouring", "NetworkWidget", "NETWORKS", "ShapesNote", "node_kinds"]

STEPS = 32  # colours in a continuous palette: finer than the eye tells apart on a dot
NEUTRAL = 255  # an administration's colour index when the colouring says nothing about it


@dataclass(frozen=True)
class Colouring:
    """How citizens are coloured: a palette and, per citizen, an index into it.

    A continuous colouring maps a value in [0, 1] per citizen (``values``) onto
    its palette, and ``legend`` names the two ends; a categorical one puts
    each citizen in a category (``categories``, from the model and what the
    page has seen of it), and ``legend`` names each colour. Texts are English
    source strings, translated on display.
    """

    label: str
    palette: tuple[str, ...]
    legend: tuple[str, ...]
    values: Callable[[CrmModel], np.ndarray] | None = None
    categories: Callable[[CrmModel, Seen], np.ndarray] | None = None

    @property
    def continuous(self) -> bool:
        return self.values is not None

    def citizens(self, run: CrmModel, seen: Seen) -> np.ndarray:
        """One palette index per citizen."""
        if not self.continuous:
            return self.categories(run, seen).astype(np.uint8)
        return _bucket(self.values(run))

    def administrations(self, run: CrmModel) -> np.ndarray:
        """One palette index per administration: the mean over its users (NEUTRAL if that means nothing)."""
        if not self.continuous:
            return np.full(len(run.administrations), NEUTRAL, dtype=np.uint8)
        if self is COLOURINGS["trust"]:  # trust is per administration: each one's own, among its users
            means = [run.citizens.trust[users, j].mean() if users.size else np.nan
                     for j, users in enumerate(run.role_members)]
        else:
            values = self.values(run)
            means = [values[users].mean() if users.size else np.nan for users in run.role_members]
        means = np.asarray(means)
        return np.where(np.isnan(means), NEUTRAL, _bucket(np.nan_to_num(means))).astype(np.uint8)


def _bucket(values: np.ndarray) -> np.ndarray:
    return np.minimum((np.clip(values, 0.0, 1.0) * STEPS).astype(np.int32), STEPS - 1).astype(np.uint8)


def _palette(name: str) -> tuple[str, ...]:
    return tuple(to_hex(c) for c in colormaps[name](np.linspace(0.0, 1.0, STEPS)))


# Okabe and Ito's colours, which colour-blind eyes tell apart; grey for "no request yet".
_CHANNEL_COLOURS = ("#bbbbbb", "#0072B2", "#56B4E9", "#009E73", "#F0E442", "#E69F00", "#CC79A7", "#D55E00")
_CHANNEL_NAMES = ("no request yet", "online", "online, with the FAQ", "online, with public answers",
                  "online, with the forum", "through a prescriber", "at the counter", "gave up")
assert len(_CHANNEL_NAMES) == len(Channel.NAMES) + 1 == len(_CHANNEL_COLOURS)

def last_channel(run: CrmModel, seen: Seen) -> np.ndarray:
    return seen.last_channel.astype(np.int16) + 1  # Channel.NONE (-1) is colour 0


def lost_this_year(run: CrmModel, seen: Seen) -> np.ndarray:
    """0: never lost; 1: lost, but not in the last 52 weeks; 2: lost in the last 52 weeks (the model's lost users)."""
    last = run.citizens.last_lost
    return np.where(within_year(run, last), 2, np.where(last != NEVER, 1, 0))


def skill_quartile(run: CrmModel, seen: Seen) -> np.ndarray:
    """0 for the least skilled quarter of citizens ... 3 for the most skilled: the metrics' own quartiles."""
    return run.skill_quartile


COLOURINGS: dict[str, Colouring] = {
    "trust": Colouring("trust", _palette("RdYlBu"), ("no trust", "full trust"), citizen_trust),
    "knowledge": Colouring("knowledge", _palette("viridis"), ("knows nothing of the procedures", "knows them well"),
                           lambda run: run.citizens.knowledge),
    "skill": Colouring("digital skill", _palette("cividis"), ("no digital skill", "at ease online"),
                       lambda run: run.citizens.skill),
    "quartile": Colouring("digital skill quarter", ("#D55E00", "#E69F00", "#56B4E9", "#0072B2"),
                          ("least skilled quarter", "second quarter", "third quarter", "most skilled quarter"),
                          categories=skill_quartile),
    "lost": Colouring("lost this year (a failure left without redress)", ("#cfcfcf", "#E69F00", "#C0392B"),
                      ("never lost", "lost over a year ago", "lost in the last 52 weeks"), categories=lost_this_year),
    "channel": Colouring("last channel", _CHANNEL_COLOURS, _CHANNEL_NAMES, categories=last_channel),
}


def node_kinds(run: CrmModel) -> np.ndarray:
    """Per prescriber: 1 informal, 2 institutional, 3 institutional and funded (how the browser draws it)."""
    state = run.prescriber_state
    return np.where(state.informal, 1, np.where(state.funded, 3, 2)).astype(np.uint8)


# -- the widget and the component -------------------------------------------------------------------
class NetworkWidget(LatestFrame):
    """A canvas in the browser: the ties once, then each frame's colours (see ``js/network.js``)."""

    _esm = JS / "network.js"
    # Once per network:
    positions = traitlets.Bytes(b"").tag(sync=True)  # float32 x, y per node
    edges = traitlets.Bytes(b"").tag(sync=True)  # uint32 u, v per tie
    kinds = traitlets.Bytes(b"").tag(sync=True)  # uint8 per prescriber (node_kinds)
    n_citizens = traitlets.Int(0).tag(sync=True)
    admin_labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    height = traitlets.Int(280).tag(sync=True)
    # Each frame:
    palette = traitlets.List(traitlets.Unicode()).tag(sync=True)
    colours = traitlets.Bytes(b"").tag(sync=True)  # uint8 palette index per citizen
    admin_colours = traitlets.Bytes(b"").tag(sync=True)  # uint8 per administration; 255: neutral grey
    week = traitlets.Int(0).tag(sync=True)
    week_label = traitlets.Unicode("").tag(sync=True)


def network_frame(room: Classroom, index: int, colouring: Colouring) -> Callable[[], dict]:
    """What one frame of run ``index`` sends: the palette and each node's colour, read when it is sent."""

    def make() -> dict:
        run = room.runs[index]
        return {"palette": list(colouring.palette), "colours": colouring.citizens(run, room.seen[index]).tobytes(),
                "admin_colours": colouring.administrations(run).tobytes(), "week": run.policy_weeks,
                "week_label": _("Week {week} of {weeks}").format(week=run.policy_weeks, weeks=run.spec.steps)}

    return make


def _network_component(index: int):
    """The network of run ``index`` of the page's Classroom, as a component Mesa's SolaraViz can place."""

    @solara.component
    def Network(model: Classroom):
        page = use_page()
        colouring = COLOURINGS[page.colouring.value]
        run = model.runs[index]
        static = solara.use_memo(lambda: _static(run), [run])
        with solara.Column(gap="4px") as main:
            solara.Text(page.title(index), classes=["crmsim-run-title"], style={"font-weight": "bold"})
            element = NetworkWidget.element(**static)
            Legend(colouring)

        use_frames(element, network_frame(model, index, colouring), [model, colouring])
        return main

    Network.__name__ = Network.__qualname__ = f"Network{index}"
    return Network


def _static(run: CrmModel) -> dict:
    """What a network sends once: positions, ties, prescribers' kinds, administrations' names."""
    u, v = run.edges
    return {"positions": layout(run).tobytes(), "edges": np.column_stack([u, v]).astype(np.uint32).tobytes(),
            "kinds": node_kinds(run).tobytes(), "n_citizens": run.n_citizens,
            "admin_labels": [_(mission.label) for mission in run.spec.missions().values()]}


NETWORKS = [_network_component(0), _network_component(1)]  # the left run; the right one, beside it


@solara.component
def Legend(colouring: Colouring):
    """What the colours mean, under the network (the shapes are explained once, in the sidebar: :func:`ShapesNote`).

    Kept within a few short lines, so that the network and its legend fit
    the card Mesa's grid gives them, whatever the colouring and the language.
    """
    chip = {"display": "inline-block", "width": "10px", "height": "10px", "margin": "0 4px 0 8px",
            "border-radius": "50%"}
    if colouring.continuous:
        gradient = f"linear-gradient(to right, {', '.join(colouring.palette)})"
        low, high = colouring.legend
        with solara.Row(gap="6px", style={"align-items": "center", "font-size": "12px"}):
            solara.Text(_(low))
            solara.Div(style={"display": "inline-block", "width": "120px", "height": "10px", "background": gradient})
            solara.Text(_(high))
    else:
        with solara.Div(style={"font-size": "12px", "line-height": "16px"}):
            for colour, name in zip(colouring.palette, colouring.legend):
                solara.Div(style={**chip, "background": colour})
                solara.Text(_(name))


@solara.component
def ShapesNote():
    """What the network's shapes mean: the same for every colouring and both networks, so said once."""
    solara.Text(_("▲ informal prescriber (association, informed peer) · ◆ institutional prescriber (social "
                  "worker, public writer; ringed when funded) · ■ administration, coloured by its users' average"),
                style={"font-size": "12px", "color": "#555"})
