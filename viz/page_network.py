"""The network on the teacher's page: citizens coloured by trust, knowledge, skill or last channel.

Drawing a thousand nodes as a chart every week is what made Mesa's network
view slow (0.3 updates a second: it laid the graph out again each frame). Here
the positions are computed once per network (:func:`layout`, cached) and sent
once; each frame sends one byte per citizen, the index of its colour in the
colouring's palette, and the browser repaints a canvas (``js/network.js``).

Prescribers are drawn by kind (informal: triangles; institutional: diamonds,
ringed when funded), and the administrations as squares above the network,
coloured by their users' average of the same quantity.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import numpy as np
import solara
import traitlets
from matplotlib import colormaps
from matplotlib.colors import to_hex

from crmsim.i18n import _
from crmsim.model.agents import Channel
from crmsim.model.metrics import citizen_trust
from crmsim.model.model import CrmModel
from crmsim.viz.classroom import Classroom
from crmsim.viz.page_frames import JS, LatestFrame, use_frames
from crmsim.viz.page_state import use_page

__all__ = ["COLOURINGS", "Colouring", "NetworkWidget", "NETWORKS", "layout", "force_layout", "node_kinds"]

STEPS = 32  # colours in a continuous palette: finer than the eye tells apart on a dot
NEUTRAL = 255  # an administration's colour index when the colouring says nothing about it


@dataclass(frozen=True)
class Colouring:
    """How citizens are coloured: a palette and, per citizen, an index into it.

    A continuous colouring maps a value in [0, 1] per citizen (``values``) onto
    its palette, and ``legend`` names the two ends; a categorical one maps
    each citizen's last channel, and ``legend`` names each colour. Texts are
    English source strings, translated on display.
    """

    label: str
    palette: tuple[str, ...]
    legend: tuple[str, ...]
    values: Callable[[CrmModel], np.ndarray] | None = None

    @property
    def continuous(self) -> bool:
        return self.values is not None

    def citizens(self, run: CrmModel, last_channel: np.ndarray) -> np.ndarray:
        """One palette index per citizen."""
        if not self.continuous:
            return (last_channel.astype(np.int16) + 1).astype(np.uint8)  # Channel.NONE (-1) is colour 0
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

COLOURINGS: dict[str, Colouring] = {
    "trust": Colouring("trust", _palette("RdYlBu"), ("no trust", "full trust"), citizen_trust),
    "knowledge": Colouring("knowledge", _palette("viridis"), ("knows nothing of the procedures", "knows them well"),
                           lambda run: run.citizens.knowledge),
    "skill": Colouring("digital skill", _palette("cividis"), ("no digital skill", "at ease online"),
                       lambda run: run.citizens.skill),
    "channel": Colouring("last channel", _CHANNEL_COLOURS, _CHANNEL_NAMES),
}


# -- positions ---------------------------------------------------------------------------------
_LAYOUTS: OrderedDict[bytes, np.ndarray] = OrderedDict()  # positions only: no model, nothing a tab could change
_LAYOUTS_LOCK = threading.Lock()
_KEEP = 16  # networks whose positions are kept: a reset with the same population and seed draws at once


def layout(run: CrmModel) -> np.ndarray:
    """Each node's position in the unit square (citizens, then prescribers), as float32 (x, y) rows.

    Citizens are laid out by their own ties, so friends sit together, in a
    disc. Prescribers follow dozens of citizens all over the network, so no
    place among them is theirs: they sit on a ring around the disc, each on
    the side where its citizens are on average, and their ties cross to them.
    The same network always gets the same positions, so two scenarios run
    side by side from one seed look alike, and a reset that keeps the
    population redraws at once (from a cache).
    """
    n, n_pres = run.n_citizens, run.n_prescribers
    u, v = run.edges
    key = hashlib.blake2b(np.int64(n).tobytes() + u.tobytes() + v.tobytes(), digest_size=16).digest()
    with _LAYOUTS_LOCK:
        if key in _LAYOUTS:
            _LAYOUTS.move_to_end(key)
            return _LAYOUTS[key]
    citizens = force_layout(n, *run.citizen_edges) - 0.5
    citizens *= 0.4 / max(float(np.hypot(citizens[:, 0], citizens[:, 1]).max()), 1e-9)  # a disc of radius 0.4
    ties = u >= n  # a prescriber's tie: (prescriber node, citizen)
    follower, prescriber = v[ties], u[ties] - n
    count = np.maximum(np.bincount(prescriber, minlength=n_pres), 1)
    side = [np.bincount(prescriber, citizens[follower, axis], n_pres) / count for axis in (0, 1)]
    order = np.argsort(np.arctan2(side[1], side[0]), kind="stable")
    angle = np.empty(n_pres)
    angle[order] = 2 * np.pi * np.arange(n_pres) / max(n_pres, 1)
    prescribers = 0.47 * np.column_stack([np.cos(angle), np.sin(angle)])
    positions = (np.concatenate([citizens, prescribers]) + 0.5).astype(np.float32)
    with _LAYOUTS_LOCK:
        _LAYOUTS[key] = positions
        while len(_LAYOUTS) > _KEEP:
            _LAYOUTS.popitem(last=False)
    return positions


def force_layout(n: int, u: np.ndarray, v: np.ndarray, *, iterations: int = 50, seed: int = 0) -> np.ndarray:
    """Fruchterman and Reingold's layout (1991): ties pull, every pair pushes, the moves cool down.

    Written over whole arrays in single precision: 0.3 s at a thousand nodes,
    where networkx's ``spring_layout`` takes 4 s. A weak pull to the centre
    keeps nodes without ties in view. Scaled so the longer side spans [0, 1].
    """
    rng = np.random.default_rng(seed)
    x, y = rng.random(n, dtype=np.float32), rng.random(n, dtype=np.float32)
    k = np.float32(1.0 / np.sqrt(n))  # the distance at which a tie's pull and a pair's push balance
    gravity = np.float32(0.1 * np.sqrt(n))
    step = np.float32(0.1)
    cool = step / (iterations + 1)
    for _ in range(iterations):
        dx, dy = x[:, None] - x[None, :], y[:, None] - y[None, :]
        push = dx * dx
        push += dy * dy
        np.maximum(push, np.float32(1e-9), out=push)
        np.divide(k * k, push, out=push)
        fx, fy = np.einsum("ij,ij->i", dx, push), np.einsum("ij,ij->i", dy, push)
        ex, ey = x[u] - x[v], y[u] - y[v]
        pull = np.sqrt(ex * ex + ey * ey) / k
        fx -= np.bincount(u, ex * pull, n) - np.bincount(v, ex * pull, n) + gravity * (x - 0.5)
        fy -= np.bincount(u, ey * pull, n) - np.bincount(v, ey * pull, n) + gravity * (y - 0.5)
        length = np.maximum(np.hypot(fx, fy), 1e-9)
        scale = np.minimum(length, step) / length
        x += (fx * scale).astype(np.float32)
        y += (fy * scale).astype(np.float32)
        step -= cool
    positions = np.column_stack([x, y])
    low = positions.min(axis=0)
    span = max(float((positions.max(axis=0) - low).max()), 1e-9)
    return ((positions - low) / span).astype(np.float32)


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
        run, last = room.runs[index], room.last_channel[index]
        return {"palette": list(colouring.palette), "colours": colouring.citizens(run, last).tobytes(),
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
    """What the colours and shapes mean, under the network."""
    chip = {"display": "inline-block", "width": "10px", "height": "10px", "margin": "0 4px 0 10px",
            "border-radius": "50%"}
    if colouring.continuous:
        gradient = f"linear-gradient(to right, {', '.join(colouring.palette)})"
        low, high = colouring.legend
        with solara.Row(gap="6px", style={"align-items": "center", "font-size": "12px"}):
            solara.Text(_(low))
            solara.Div(style={"display": "inline-block", "width": "120px", "height": "10px", "background": gradient})
            solara.Text(_(high))
    else:
        with solara.Div(style={"font-size": "12px", "line-height": "18px"}):
            for colour, name in zip(colouring.palette, colouring.legend):
                solara.Div(style={**chip, "background": colour})
                solara.Text(_(name))
    solara.Text(_("▲ informal prescriber (association, informed peer) · ◆ institutional prescriber (social "
                  "worker, public writer; ringed when funded) · ■ administration, coloured by its users' average"),
                style={"font-size": "12px", "color": "#555"})
