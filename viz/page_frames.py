"""Widgets that send the browser the latest frame it can draw, and skip the frames it could not.

Sending every week to a browser slower than the model froze the page: its
messages queued up while the model kept stepping, and the pause button timed
out behind them. So each of the page's drawings (the network, the charts) is a
:class:`LatestFrame`: the browser says which frame it has drawn (``drawn``),
and a new frame leaves the server only once the last one is drawn. Frames
offered meanwhile are not queued: the newest waits, and goes as soon as the
browser is ready, made from the model as it is then. However fast the model
steps, the browser has at most one frame in hand.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any, Callable

import anywidget
import solara
import traitlets
from mesa.visualization.utils import update_counter

__all__ = ["LatestFrame", "use_frames", "JS", "plain"]

JS = Path(__file__).with_name("js")


class LatestFrame(anywidget.AnyWidget):
    """An anywidget whose JavaScript sets ``drawn`` to ``frame`` once it has drawn it.

    :meth:`show` takes a function that returns the frame's values (trait name
    -> value): it is called when the frame is sent, so a frame that waited is
    made from the newest state, not the state when it was offered.
    """

    frame = traitlets.Int(0).tag(sync=True)  # the last frame sent
    drawn = traitlets.Int(0).tag(sync=True)  # the last frame the browser drew (set by the browser)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._frame_lock = threading.RLock()  # show() runs on the model's thread, the browser's answer on the server's
        self._frame_waiting: Callable[[], dict[str, Any]] | None = None
        self.observe(self._on_drawn, names="drawn")

    def show(self, make: Callable[[], dict[str, Any]]) -> None:
        """Send the frame ``make()`` now if the browser is ready, else as soon as it is."""
        with self._frame_lock:
            if self.drawn < self.frame:
                self._frame_waiting = make
            else:
                self._emit_frame(make)

    def _on_drawn(self, change: dict) -> None:
        with self._frame_lock:
            make, self._frame_waiting = self._frame_waiting, None
            if make is not None and self.drawn >= self.frame:
                self._emit_frame(make)

    def _emit_frame(self, make: Callable[[], dict[str, Any]]) -> None:
        values = make()
        with self.hold_sync():  # one message: the values and the frame number together
            for name, value in values.items():
                setattr(self, name, value)
            self.frame += 1


def use_frames(element, make: Callable[[], dict[str, Any]], dependencies: list) -> None:
    """A hook: offer ``element``'s widget the frame ``make`` now, and again each week the model steps.

    Mesa signals a step by bumping ``update_counter``; its components read it,
    so that each is rendered again. A render pass walks the whole page (25 ms
    here): one per drawing each week cost 200 ms a week and capped the page
    at three updates a second. So the drawings listen to the counter instead,
    and send their frame without a render. ``dependencies`` are what ``make``
    reads besides the model's state (the model itself, the colouring): when
    they change, the listener is replaced.
    """
    widget = solara.use_ref(None)

    def listen() -> Callable[[], None]:
        if widget.current is None:  # looked up once, on mounting: in Mesa's grid reacton finds it only then
            widget.current = solara.get_widget(element)
        shown = widget.current
        shown.show(make)
        return update_counter.subscribe(lambda week: shown.show(make))  # returns the unsubscribe

    solara.use_effect(listen, dependencies)


def plain(values) -> list[float | None]:
    """Numbers as JSON carries them: NaN (a rate with nothing to count yet) becomes None, a gap in the line."""
    return [None if math.isnan(x) else float(x) for x in values]
