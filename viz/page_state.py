"""What one browser tab has chosen: the scenarios (or the story) on show and the colouring of the network.

Each tab's ``Page`` makes its own :class:`PageState` and provides it to the
components below it (Mesa's SolaraViz hands its components the model only).
Nothing here is a module-level value: a second tab has its own choices and
its own model.
"""

from __future__ import annotations

from dataclasses import dataclass

import solara

from crmsim.viz.page_scenarios import Entry

__all__ = ["PageState", "provide_page", "use_page"]


@dataclass(frozen=True)
class PageState:
    """The scenarios on offer, the ones on show (left, and right or None), and the colouring."""

    entries: dict[str, Entry]
    sides: tuple[str, str | None]
    colouring: solara.Reactive[str]
    story_title: str | None = None  # a story on show: its title names the run

    def title(self, index: int) -> str:
        return self.story_title if self.story_title is not None else self.entries[self.sides[index]].label


_PAGE = solara.create_context(None)


def provide_page(state: PageState) -> None:
    _PAGE.provide(state)


def use_page() -> PageState:
    return solara.use_context(_PAGE)
