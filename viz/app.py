"""The teacher's page: a scenario live in the browser, on Mesa's SolaraViz (``crmsim viz``).

A teacher picks a scenario, changes a lever, presses play, and the class
watches trust, knowledge and redress move across the network. Mesa's
SolaraViz supplies the frame: play, pause, step and reset, the speed (its
play interval), and the sliders it makes from ``model_params``. This module
adds what is crmsim's:

- the scenario picker over the scenario files, with each file's description,
  the country to run them in (:mod:`~crmsim.viz.page_countries`: the EU
  average by default), and a second scenario to run side by side from the
  same seed (:class:`~crmsim.viz.classroom.Classroom` steps both);
- the lever and population sliders, generated from the parameter table
  (``crmsim.model.params``: range, unit and help text), starting at the
  chosen scenario's values, so no value is written twice;
- the network, its communities apart and the least skilled first, coloured by
  trust, knowledge, skill, skill quarter, loss or last channel
  (:mod:`~crmsim.viz.page_network`), the live charts with their captions
  (:mod:`~crmsim.viz.page_charts`), and above them four monitors, large live
  yearly rates with their change since the policy started, or against the
  scenario beside, coloured only beyond noise (:mod:`~crmsim.viz.page_monitors`).

Mesa names its tab "Page 0" and offers no way to rename it
(``mesa/visualization/solara_viz.py``, ``ComponentsView``: ``f"Page {index}"``).
The page has one tab, so its bar is hidden, and the scenario's name is shown
above the monitors and as the browser tab's title instead.

With ``crmsim viz --story paper`` the page plays a story instead
(:mod:`~crmsim.viz.story`, :mod:`~crmsim.viz.page_story`): its stages in
turn on one model, each with its caption, then stops.

Every browser tab runs its own ``Page``, so its own model: the model lives in
the tab's state (``solara.use_reactive``), never in a module-level value, and
Reset (Mesa's) rebuilds it from the tab's current scenario and sliders.

Run it with ``crmsim viz`` (``crmsim.commands.viz``), which also keeps it offline.
"""

from __future__ import annotations

import solara
from mesa.visualization import SolaraViz

from crmsim.texts.i18n import _
from crmsim.texts.labels import colon, lever_label, param_help, value_text
from crmsim.model.params import PARAMS, Param
from crmsim.viz.classroom import CLASS_SIZE, Classroom
from crmsim.viz.page_charts import CHART_COMPONENTS
from crmsim.viz.page_countries import EU, country_names, country_note, home
from crmsim.viz.page_monitors import Monitors
from crmsim.viz.page_network import COLOURINGS, NETWORKS, ShapesNote
from crmsim.viz.page_scenarios import Entry, page_scenario
from crmsim.viz.page_state import PageState, provide_page
from crmsim.viz.page_story import StoryBanner, StoryCard
from crmsim.viz.story import Story, page_story

__all__ = ["Page", "Layout", "controls", "LEVERS", "PLAY_INTERVAL"]

TITLE = "crmsim: mediation policies, live"

# Mesa's tab bar ("Page 0", which Mesa lets no one rename) says nothing on a page with one tab.
HIDE_MESA_TABS = ".v-tabs { display: none !important; }"

# Mesa's play interval on opening (its own default): seven to nine weeks a second here. Any
# interval its slider offers is safe: the page draws the newest week it has time for and skips
# the others (viz/page_frames.py).
PLAY_INTERVAL = 100

# The levers on the page: the paper's devices first, then redress, then voice. Their short labels
# (crmsim.texts.labels), ranges, units and help texts (the parameter table) are defined once elsewhere.
LEVERS = ("counter_staff", "online_push", "faq_quality", "public_qa", "forum", "personalisation",
          "single_front_office", "funded_prescribers", "redress_capacity", "redress_visibility",
          "review_independence", "transparency", "responsiveness")
POPULATION = "Citizens"

# Where the page narrows the table's range: what a class can watch smoothly (the page draws up to
# 2,000 citizens), and levers whose table ceiling is far beyond what changes the picture.
PAGE_RANGES = {"n_citizens": (100, 2000), "counter_staff": (0.0, 3.0), "online_push": (0.0, 5.0),
               "redress_capacity": (0.0, 5.0)}


def _slider_step(low: float, high: float) -> float:
    """A round step giving about 40 positions: 0.05 on 0..1, 0.1 on 0..3, 0.25 on 0..5, 50 on 100..2000."""
    return next(step for step in (0.01, 0.05, 0.1, 0.25, 0.5, 1, 5, 10, 50, 100, 500, 1000)
                if step >= (high - low) / 40)


def _control(param: Param, label: str, value) -> dict:
    """Mesa's description of one slider or checkbox for ``param``, starting at ``value``."""
    low, high = PAGE_RANGES.get(param.name, (param.low, param.high))
    if param.kind is bool:
        return {"type": "Checkbox", "value": value, "label": label}
    if param.kind is int:
        return {"type": "SliderInt", "value": value, "min": int(low), "max": int(high),
                "step": max(1, int(_slider_step(low, high))), "label": label}
    return {"type": "SliderFloat", "value": value, "min": low, "max": high, "step": _slider_step(low, high),
            "label": label}


def controls(room: Classroom, left: Entry, right: Entry | None, country: str | None = None) -> dict:
    """Mesa's ``model_params``: the scenario files and country (fixed), then the population and lever sliders.

    The sliders start where the model on show stands: its population, and the
    left scenario's lever values (its policy's, or its file's).
    """
    spec = room.runs[0].spec
    values = spec.flat()
    return {
        "left": str(left.path),
        "right": str(right.path) if right else None,
        "country": country,
        "n_citizens": _control(PARAMS["n_citizens"], _(POPULATION), spec.population.n_citizens),
        **{name: _control(PARAMS[name], lever_label(name), values[name]) for name in LEVERS},
    }


@solara.component
def Page():
    """One tab: a story if ``crmsim viz --story`` named one, else the scenarios."""
    story = solara.use_memo(page_story, [])
    return StoryPage(story) if story is not None else ScenarioPage()


@solara.component
def ScenarioPage():
    """One tab: its own scenarios, colouring and model, around Mesa's SolaraViz."""
    entries, opening = solara.use_memo(page_scenario, [])
    sides = solara.use_reactive((opening, None))
    country = solara.use_reactive(home(entries[opening].spec))
    colouring = solara.use_reactive("trust")
    first = solara.use_memo(lambda: Classroom(entries[opening].path, n_citizens=CLASS_SIZE), [])
    room = solara.use_reactive(first)  # this tab's model; Mesa's Reset replaces it
    left, right = sides.value
    provide_page(PageState(entries, sides.value, colouring))

    def show(new_left: str, new_right: str | None, new_country: str) -> None:
        """Load the chosen scenarios in the chosen country, keeping the population the teacher set."""
        n = room.value.runs[0].spec.population.n_citizens
        room.set(Classroom(entries[new_left].path, entries[new_right].path if new_right else None, n_citizens=n,
                           country=new_country))
        sides.set((new_left, new_right))
        country.set(new_country)

    params = solara.use_memo(lambda: controls(room.peek(), entries[left], entries[right] if right else None,
                                              country.value), [left, right, country.value])
    components = solara.use_memo(
        lambda: [(NETWORKS[0], 0)] + ([(NETWORKS[1], 0)] if right else []) + [(c, 0) for c in CHART_COMPONENTS],
        [right])
    # The layout is keyed by the scenarios: choosing others remounts all of Mesa's controls, so its
    # sliders and Reset start from the new scenarios (Mesa keeps its parameters from its first render,
    # and its controls live in the layout's sidebar, which an inner key alone would not remount).
    shown = _("{left} and {right}").format(left=entries[left].label, right=entries[right].label) if right \
        else entries[left].label
    if country.value != EU:
        shown += f" · {country_names()[country.value]}"
    with solara.AppLayout(title=_(TITLE)).key(f"{left}|{right}|{country.value}"):
        with solara.Sidebar():
            ScenarioCard(entries, left, right, country.value, room.value, colouring, show)
            with solara.Details(_("What the sliders do")):
                LeverHelp(room)
        with solara.Column(style={"padding": "8px 12px 4px"}, gap="8px"):
            Heading(shown)
            Monitors(room.value)
        SolaraViz(room, components=components, model_params=params, name=_(TITLE), play_interval=PLAY_INTERVAL)


@solara.component
def StoryPage(story: Story):
    """One tab playing a story: its stages in turn on one model, the banner and monitors above Mesa's SolaraViz.

    No lever sliders: a story runs its stages as written. The population
    slider stays, and Mesa's Reset plays the story again from its first stage.
    """
    colouring = solara.use_reactive("trust")
    n_citizens = story.citizens or CLASS_SIZE
    first = solara.use_memo(lambda: Classroom(story=story, n_citizens=n_citizens), [])
    room = solara.use_reactive(first)
    provide_page(PageState({}, ("", None), colouring, story_title=_(story.title)))
    params = solara.use_memo(lambda: {"story": str(story.path), "n_citizens": _control(
        PARAMS["n_citizens"], _(POPULATION), n_citizens)}, [])
    components = solara.use_memo(lambda: [(NETWORKS[0], 0)] + [(c, 0) for c in CHART_COMPONENTS], [])
    with solara.AppLayout(title=_(TITLE)):
        with solara.Sidebar():
            StoryCard(story)
            with solara.Card(_("Network")):
                ColouringPicker(colouring)
        with solara.Column(style={"padding": "8px 12px 4px"}, gap="8px"):
            Heading(_(story.title))
            StoryBanner(room.value)
            Monitors(room.value)
        SolaraViz(room, components=components, model_params=params, name=_(TITLE), play_interval=PLAY_INTERVAL)


@solara.component
def Heading(text: str):
    """The name of what is on show, above the monitors and as the browser tab's title (for Mesa's "Page 0")."""
    solara.Title(f"{text} · crmsim")
    solara.Style(HIDE_MESA_TABS)
    solara.Text(text, classes=["crmsim-page-title"], style={"font-size": "20px", "font-weight": "bold"})


@solara.component
def Layout(children=[]):  # noqa: B006 (Solara's signature for a layout)
    """No layout around the page: ``Page`` makes its own, keyed by the scenarios (Solara would nest it in one)."""
    return solara.Column(children=children, gap="0px", style={"height": "100%"})


@solara.component
def ScenarioCard(entries: dict[str, Entry], left: str, right: str | None, country: str, room: Classroom,
                 colouring: solara.Reactive[str], show):
    """The picker: a scenario, the country it runs in, another to compare with, and what the network's colours show."""
    items = [{"text": entry.label, "value": key} for key, entry in entries.items()]
    countries = [{"text": name, "value": code} for code, name in country_names().items()]
    with solara.Card(_("Scenario")):
        solara.v.Select(label=_("Scenario"), items=items, v_model=left,
                        on_v_model=lambda key: show(key, right if right != key else None, country))
        Note(entries[left].description)
        solara.v.Select(label=_("Country"), items=countries, v_model=country,
                        on_v_model=lambda code: show(left, right, code))
        Note(country_note(room.runs[0].spec), colour="#555", classes=["crmsim-country"])
        nothing = [{"text": _("nothing: one scenario"), "value": ""}]
        solara.v.Select(label=_("Compare with"), items=nothing + [i for i in items if i["value"] != left],
                        v_model=right or "", on_v_model=lambda key: show(left, key or None, country))
        if right:
            Note(entries[right].description)
            Note(_("Both start from the same citizens and the same seed. The sliders change the scenario on the "
                   "left; the one on the right runs as its file says."), colour="#555")
        ColouringPicker(colouring)


@solara.component
def ColouringPicker(colouring: solara.Reactive[str]):
    """What the network's colours show, and what its shapes are."""
    solara.v.Select(label=_("Colour citizens by"), v_model=colouring.value, on_v_model=colouring.set,
                    items=[{"text": _(c.label), "value": key} for key, c in COLOURINGS.items()])
    ShapesNote()


@solara.component
def Note(text: str, colour: str = "inherit", classes: list[str] | None = None):
    """A short paragraph of the sidebar."""
    with solara.Div(style={"font-size": "13px", "color": colour, "margin-bottom": "8px"}, classes=classes or []):
        solara.Text(text)


@solara.component
def LeverHelp(room: solara.Reactive[Classroom]):
    """Each slider's value in the model on show (the sliders show none), its meaning, unit and range.

    Plain text, not ``solara.Markdown``: that loads KaTeX, which the offline assets lack.
    """
    values = room.value.runs[0].spec.flat()
    for name in ("n_citizens", *LEVERS):
        label = _(POPULATION) if name == "n_citizens" else lever_label(name)
        with solara.Div(style={"font-size": "12px", "margin-bottom": "6px"}):
            solara.Text(colon(label, value_text(values[name])), style={"font-weight": "bold"})
            solara.Text(f" ({_slider_range(PARAMS[name])}). {param_help(name)}")


def _slider_range(param: Param) -> str:
    """What the slider offers, in words: '0 to 1', '0 to 3 x', 'yes or no'."""
    if param.kind is bool:
        return _("yes or no")
    low, high = PAGE_RANGES.get(param.name, (param.low, param.high))
    unit = "" if param.unit in ("-", "0..1") else f" {_(param.unit)}"
    return _("{low} to {high}").format(low=value_text(low), high=value_text(high)) + unit
