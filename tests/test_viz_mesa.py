"""CrmModel the Mesa way: its DataCollector, Mesa's batch_run and make_plot_component, Mesa's `scenario` keyword.

Also the page's model (``Classroom``): two scenarios from one seed share
their citizens and step together, and the page's pieces that are plain
Python (the colourings, the layout, the chart frames, the scenario list).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from mesa.batchrunner import batch_run
from mesa.experimental.scenarios import Scenario as MesaScenario
from mesa.visualization import make_plot_component

from crmsim.model import CrmModel, load_scenario
from crmsim.model.agents import NEVER
from crmsim.model.metrics import INFO, METRICS
from crmsim.model.scenario import ScenarioError
from crmsim.viz import classroom
from crmsim.viz.classroom import Classroom
from crmsim.viz.page_charts import CHARTS, chart_frame, shown_weeks
from crmsim.viz.page_layout import communities, force_layout, layout
from crmsim.viz.page_network import COLOURINGS, network_frame
from crmsim.viz.page_scenarios import catalogue

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
SMALL = {"n_citizens": 150, "prescribers_per_1000": 40, "warmup": 8}


def same(a: dict, b: dict) -> bool:
    """Two metric records are equal (NaN, a rate with nothing to count, equals NaN)."""
    return a.keys() == b.keys() and np.array_equal(list(a.values()), list(b.values()), equal_nan=True)


@pytest.fixture(autouse=True)
def no_pacing(monkeypatch):
    """The page paces its weeks for the eye (FASTEST_WEEK); these tests step as fast as they can."""
    monkeypatch.setattr(classroom, "FASTEST_WEEK", 0.0)


def test_the_datacollector_holds_the_same_rows_as_the_series():
    model = CrmModel(rng=3, steps=4, **SMALL)
    model.run(4)
    collected = model.datacollector.get_model_vars_dataframe()
    series = model.series()
    assert list(collected.columns) == list(METRICS)
    assert len(collected) == len(series) == 5
    assert np.allclose(collected.to_numpy(), series[list(METRICS)].to_numpy(), equal_nan=True)
    assert model.datacollector._collection_steps == [8.0, 9.0, 10.0, 11.0, 12.0]  # Mesa's time: warm-up included


def test_weeks_run_without_recording_collect_nothing():
    model = CrmModel(rng=3, **SMALL)
    model.run(3, record=False)
    assert len(model.datacollector.get_model_vars_dataframe()) == 1  # only the settled state


def test_batch_run_runs_crmsim_over_a_grid_of_levers_and_seeds():
    rows = batch_run(CrmModel, {**SMALL, "steps": 3, "faq_quality": [0.0, 0.9]}, rng=[1, 2],
                     data_collection_period=1, display_progress=False)
    assert len(rows) == 2 * 2 * 4  # 2 levers x 2 seeds x (settled state + 3 weeks)
    assert {r["faq_quality"] for r in rows} == {0.0, 0.9} and {r["rng"] for r in rows} == {1, 2}
    last = {(r["faq_quality"], r["rng"]): r for r in rows if r["Step"] == 11.0}
    # the same seed gives the run batch_run reports and the run made directly
    direct = CrmModel(rng=2, steps=3, faq_quality=0.9, **SMALL)
    direct.run()
    assert last[(0.9, 2)]["knowledge_mean"] == direct.final_metrics()["knowledge_mean"]
    assert last[(0.9, 2)]["knowledge_mean"] != last[(0.0, 2)]["knowledge_mean"]


def test_make_plot_component_draws_the_collected_metrics():
    import solara

    model = CrmModel(rng=1, **SMALL)
    model.run(3)
    drawn = {}
    make, page = make_plot_component({"trust_mean": "tab:blue", "lost_users": "tab:red"},
                                     post_process=lambda ax: drawn.update(
                                         {line.get_label(): list(line.get_ydata()) for line in ax.get_lines()}))
    box, context = solara.render(make(model), handle_error=False)  # as SolaraViz renders it
    context.close()
    collected = model.datacollector.get_model_vars_dataframe()
    assert page == 0 and set(drawn) == {"trust_mean", "lost_users"}
    assert drawn["trust_mean"] == list(collected["trust_mean"]) and len(drawn["lost_users"]) == 4


def test_mesa_scenario_keyword_sets_the_seed_and_the_values():
    """What SolaraViz's Reset passes: Mesa's Scenario, by the name `scenario`, no longer clashes."""
    model = CrmModel(load_scenario(SCENARIOS / "faq.toml"), scenario=MesaScenario(rng=7, faq_quality=0.25), **SMALL)
    assert model.p.faq_quality == 0.25
    twin = CrmModel(load_scenario(SCENARIOS / "faq.toml"), rng=7, faq_quality=0.25, **SMALL)
    assert same(model.final_metrics(), twin.final_metrics())
    empty = CrmModel(scenario=MesaScenario(), rng=4, **SMALL)  # Reset's own: no values, no seed
    assert same(empty.final_metrics(), CrmModel(rng=4, **SMALL).final_metrics())
    with pytest.raises(ScenarioError, match="no_such_lever"):
        CrmModel(scenario=MesaScenario(no_such_lever=1), **SMALL)


def test_two_scenarios_side_by_side_share_citizens_and_step_together():
    room = Classroom(SCENARIOS / "supply_front_office.toml", SCENARIOS / "redress_procedure.toml", n_citizens=200)
    left, right = room.runs
    assert np.array_equal(left.citizens.skill, right.citizens.skill)
    assert same(left.records[0], right.records[0])  # the same settled state: only the policy differs from here
    for _ in range(6):
        room.step()
    assert left.policy_weeks == right.policy_weeks == room.weeks == 6
    assert left.p.redress_visibility != right.p.redress_visibility
    alone = CrmModel(load_scenario(SCENARIOS / "redress_procedure.toml").with_values({"n_citizens": 200}))
    alone.run(6)
    assert len(alone.records) == 7 and all(map(same, alone.records, right.records))  # side by side, each run is the run it would be alone


def test_the_page_levers_change_the_left_scenario_only():
    room = Classroom(SCENARIOS / "supply_front_office.toml", SCENARIOS / "faq.toml", n_citizens=150,
                     faq_quality=0.3, scenario=MesaScenario())
    assert room.runs[0].p.faq_quality == 0.3
    assert room.runs[1].p.faq_quality == load_scenario(SCENARIOS / "faq.toml").flat()["faq_quality"]


def test_reset_with_the_same_world_reuses_the_warmed_model_and_gives_the_fresh_run(monkeypatch):
    baseline = SCENARIOS / "supply_front_office.toml"
    Classroom(baseline, n_citizens=140)  # the page opens: one warm-up, kept
    builds = []
    real_init = CrmModel.__init__

    def counting_init(self, *args, **kwargs):
        builds.append(1)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(CrmModel, "__init__", counting_init)
    reset = Classroom(baseline, n_citizens=140, faq_quality=0.6, scenario=MesaScenario())  # a lever moved, then Reset
    assert builds == []  # no new model: the kept warm-up was branched
    assert reset.runs[0].p.faq_quality == 0.6
    monkeypatch.setattr(CrmModel, "__init__", real_init)
    fresh = CrmModel(load_scenario(baseline).with_values({"n_citizens": 140, "faq_quality": 0.6}))
    for _ in range(5):
        reset.step()
    fresh.run(5)
    assert all(map(same, fresh.records, reset.runs[0].records))
    monkeypatch.setattr(CrmModel, "__init__", counting_init)
    Classroom(baseline, n_citizens=141)  # another population is another world: it warms up
    assert builds == [1]


def test_last_channel_is_kept_for_every_citizen_who_dealt_with_an_administration():
    room = Classroom(SCENARIOS / "supply_front_office.toml", n_citizens=200)
    for _ in range(4):
        room.step()
    last = room.seen[0].last_channel
    assert (last >= 0).any() and (last == -1).any()
    served = room.runs[0].week.served
    assert np.array_equal(last[served], room.runs[0].week.served_channel)


def test_each_colouring_gives_one_palette_index_per_citizen():
    room = Classroom(SCENARIOS / "supply_front_office.toml", n_citizens=150)
    room.step()
    for colouring in COLOURINGS.values():
        frame = network_frame(room, 0, colouring)()
        colours = np.frombuffer(frame["colours"], dtype=np.uint8)
        assert colours.size == 150 and colours.max() < len(frame["palette"])
        admins = np.frombuffer(frame["admin_colours"], dtype=np.uint8)
        assert admins.size == len(room.runs[0].administrations)
    trust = np.frombuffer(network_frame(room, 0, COLOURINGS["trust"])()["colours"], dtype=np.uint8)
    assert len(set(trust.tolist())) > 5  # trust differs between citizens, and the colours show it


def test_layout_is_cached_and_places_every_node_in_the_unit_square():
    run = Classroom(SCENARIOS / "supply_front_office.toml", n_citizens=300).runs[0]
    positions = layout(run)
    assert positions.shape == (run.n_citizens + run.n_prescribers, 2)
    assert positions.min() >= 0 and positions.max() <= 1
    assert layout(run) is positions
    # friends sit closer than strangers
    u, v = run.citizen_edges
    tied = np.hypot(*(positions[u] - positions[v]).T).mean()
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, run.n_citizens, (2, 2000))
    assert tied < 0.6 * np.hypot(*(positions[a] - positions[b]).T).mean()
    # the same network gets the same positions; citizens with no tie stay in view
    none = np.empty(0, dtype=np.int64)
    alone = force_layout(40, none, none)
    assert np.array_equal(alone, force_layout(40, none, none)) and 0 <= alone.min() and alone.max() <= 1


@pytest.mark.parametrize("topology", ["communities", "small_world", "scale_free"])
def test_communities_are_drawn_apart_from_the_least_to_the_most_skilled(topology):
    spec = load_scenario(SCENARIOS / "calibrated_baseline.toml").with_values({"topology": topology})
    run = Classroom(spec, n_citizens=600).runs[0]
    positions = layout(run)[:run.n_citizens]
    groups = communities(run.n_citizens, *run.citizen_edges, run.citizens.skill)
    assert sorted(np.concatenate(groups).tolist()) == list(range(run.n_citizens))  # each citizen once
    assert len(groups) >= 4
    # Each community sits in its own place: no two communities' bounding boxes overlap.
    boxes = [(positions[g].min(axis=0), positions[g].max(axis=0)) for g in groups]
    for i, (low_i, high_i) in enumerate(boxes):
        for j, (low_j, high_j) in enumerate(boxes[:i]):
            assert (high_i < low_j).any() or (high_j < low_i).any(), (i, j)
    # Read row by row, the communities go from the least to the most skilled on average (the last: the scattered).
    found = [g for g in groups if g.size >= 0.01 * run.n_citizens]
    means = [run.citizens.skill[g].mean() for g in found]
    assert means == sorted(means)
    if topology == "communities":  # the model's own ten skill-sorted communities, found again
        assert len(found) == spec.network.n_communities


def test_the_lost_colouring_shows_who_was_lost_and_how_recently():
    room = Classroom(SCENARIOS / "calibrated_baseline.toml", n_citizens=300)
    lost = COLOURINGS["lost"]
    for _ in range(60):
        room.step()
        run, seen = room.runs[0], room.seen[0]
        colours = lost.citizens(run, seen)
        last = run.citizens.last_lost
        # anyone ever lost (warm-up included) shows as lost; those lost in the last 52 weeks are the lost users
        assert np.array_equal(colours > 0, last != NEVER)
        assert (colours == 2).mean() == pytest.approx(run.final_metrics()["lost_users"], abs=1e-12)
    assert (colours == 2).any() and (colours == 1).any()  # at week 60: some lost this year, some only before
    assert (last[colours == 1] <= run.steps - 52).all()


def test_the_skill_quarter_colouring_puts_a_quarter_of_citizens_in_each_colour_least_skilled_first():
    room = Classroom(SCENARIOS / "calibrated_baseline.toml", n_citizens=400)
    run = room.runs[0]
    quarter = COLOURINGS["quartile"].citizens(run, room.seen[0])
    assert np.bincount(quarter).tolist() == [100] * 4
    means = [run.citizens.skill[quarter == q].mean() for q in range(4)]
    assert means == sorted(means)


def test_a_change_is_coloured_only_beyond_what_matters_and_three_times_the_runs_noise():
    from crmsim.viz.page_change import MIN_WEEKS, judge

    rng = np.random.default_rng(0)
    noise = 0.3 + np.cumsum(rng.normal(0.0, 0.004, 52))  # a yearly rate moving by chance only
    assert judge("lost_users", noise).verdict == "within noise"
    assert judge("trust_mean", noise).verdict == "within noise"
    moved = noise + np.linspace(0.0, 0.2, 52)  # the same chance, and a real rise of 20 points
    assert (judge("lost_users", moved).verdict, judge("lost_users", moved).tone) == ("worse", "worse")
    assert judge("trust_mean", moved).verdict == "better"  # higher trust is better
    assert judge("public_cost_per_citizen", 20 + 100 * moved).tone == "changed"  # a cost is never better or worse
    steady = 0.3 + np.linspace(0.0, 0.008, 52)  # far beyond its (nil) noise, but under the MID of a share (0.01)
    assert judge("lost_users", steady).verdict == "within noise"
    assert judge("lost_users", moved[:MIN_WEEKS]).verdict == "too soon"
    assert judge("lost_users", [float("nan")] * 3).verdict == "not measured"
    late = judge("lost_users", [float("nan")] * 5 + list(moved))  # measured from its first defined week
    assert late.weeks == 51 and late.size == pytest.approx(moved[-1] - moved[0])


def test_the_monitors_compare_yearly_rates_like_with_like_and_an_unchanged_baseline_stays_grey():
    from crmsim.viz.page_change import shown_change
    from crmsim.viz.page_monitors import MONITORED, comparison_cards, monitor_cards, rule_note

    room = Classroom(SCENARIOS / "calibrated_baseline.toml", SCENARIOS / "funded_prescribers.toml", n_citizens=300)
    start = {card["metric"]: card for card in monitor_cards(room.runs[0].records)}
    assert list(start) == list(MONITORED)
    first = room.runs[0].records[0]  # yearly rates: already defined at the switch, from the warm-up's last year
    assert start["lost_users"]["value"] == f"{round(100 * first['lost_users'])}%" and first["lost_users"] > 0
    assert start["lost_users"]["change"] == "no change since week 0"
    assert start["lost_users"]["verdict"] == "too soon to tell" and start["lost_users"]["tone"] == "same"
    for _ in range(52):
        room.step()
    left, right = (run.records for run in room.runs)
    now = {card["metric"]: card for card in monitor_cards(left)}
    lost = left[-1]["lost_users"]
    assert now["lost_users"]["value"] == f"{round(100 * lost)}%"
    assert now["lost_users"]["change"] == f"{shown_change('lost_users', lost - first['lost_users'])} since week 0"
    # The baseline runs unchanged: after a year, whatever moved is noise, and nothing is called better or worse.
    assert {card["tone"] for card in now.values()} == {"same"}, now
    assert {card["verdict"] for card in now.values()} == {"within noise"}
    # Beside it, the other scenario is read against it, the same week, on the same yearly rates.
    against = {card["metric"]: card for card in comparison_cards(right, left, "Calibrated baseline")}
    gap = right[-1]["lost_users"] - left[-1]["lost_users"]
    assert against["lost_users"]["change"] == f"{shown_change('lost_users', gap)} against Calibrated baseline"
    assert against["public_cost_per_citizen"]["tone"] in ("same", "changed")  # a cost: never better or worse
    assert {card["tone"] for card in against.values()} <= {"same", "better", "worse", "changed"}
    assert "52 weeks" in rule_note() and "3 times" in rule_note()


def test_chart_frames_carry_every_metric_of_every_run_with_labels_from_the_metric_table():
    room = Classroom(SCENARIOS / "supply_front_office.toml", SCENARIOS / "faq.toml", n_citizens=150)
    for _ in range(3):
        room.step()
    for chart in CHARTS:
        frame = chart_frame(room, chart, ("A", "B"))()
        assert frame["x"] == [0, 1, 2, 3] and frame["weeks"] == 156
        assert [s["metric"] for s in frame["series"]] == [INFO[m].label for m in chart.metrics] * 2
        assert {s["scenario"] for s in frame["series"]} == {"A", "B"}
        assert all(len(s["values"]) == 4 for s in frame["series"])
    assert shown_weeks(5000)[-1] == 5000 and len(shown_weeks(5000)) <= 250


def test_the_catalogue_gives_each_scenario_file_its_title_and_description(tmp_path):
    entries = catalogue(SCENARIOS)
    assert entries["redress_procedure"].title == "Redress procedure"
    assert entries["redress_procedure"].description.startswith("A known, staffed")
    (tmp_path / "broken.toml").write_text("# Broken\npolicy = 'nothing'\n")
    (tmp_path / "ok.toml").write_text("name = 'ok'\n")
    assert {key: e.title for key, e in catalogue(tmp_path).items()} == {"ok": "ok"}


def test_the_page_runs_both_scenarios_in_the_chosen_country_and_reset_keeps_it():
    from crmsim.model.countries import available, country_values
    from crmsim.viz.app import controls
    from crmsim.viz.page_countries import EU, country_names, country_note

    entries = catalogue(SCENARIOS)
    room = Classroom(entries["calibrated_baseline"].path, entries["faq"].path, n_citizens=150, country="dk")
    denmark = country_values("dk")["population"]
    for run in room.runs:
        assert run.spec.country == "dk"
        assert {name: getattr(run.spec.population, name) for name in denmark} == denmark
    assert room.runs[1].spec.world() == room.runs[0].spec.world()  # the same citizens on both sides
    assert country_note(room.runs[0].spec) != country_note(Classroom(entries["faq"].path, n_citizens=150).runs[0].spec)
    # Mesa's Reset builds the model again from model_params: the country is one of them.
    params = controls(room, entries["calibrated_baseline"], entries["faq"], "dk")
    again = Classroom(**{k: v["value"] if isinstance(v, dict) else v for k, v in params.items()})
    assert [run.spec.country for run in again.runs] == ["dk", "dk"]
    # Every profile is offered, the EU average (the baseline's own world) first.
    assert list(country_names())[0] == EU and sorted(country_names()) == available()
    with pytest.raises(ValueError, match="no country"):
        Classroom(story=ROOT / "scenarios" / "stories" / "paper.toml", country="dk")


def test_every_shipped_scenario_story_stage_and_country_has_its_name_in_french():
    """The page shows these in its language: each must have its entry in the French catalogue."""
    from babel.messages.pofile import read_po

    from crmsim.texts.i18n import LOCALE_DIR, language
    from crmsim.model.countries import available, load_country
    from crmsim.viz.page_countries import country_names
    from crmsim.viz.story import load_story

    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "crmsim.po").open("rb") as source:
        french = {m.id: m.string for m in read_po(source, locale="fr") if m.id}
    texts = [t for entry in catalogue(SCENARIOS).values() for t in (entry.title, entry.spec.description)]
    texts += [stage.title for stage in load_story(SCENARIOS / "stories" / "paper.toml").stages]
    texts += [load_country(code).name for code in available()]
    assert [text for text in texts if text not in french] == []
    with language("fr"):
        assert catalogue(SCENARIOS)["redress_procedure"].label == french["Redress procedure"]
        assert country_names()["nl"] == "Les Pays-Bas"  # as a list shows it: capitalised


def test_docstring_examples_of_the_page_modules_hold():
    import doctest

    from crmsim.viz import page_change, page_countries, story

    for module in (page_change, page_countries, story):
        failed, tried = doctest.testmod(module)
        assert tried > 0 and failed == 0, module.__name__
