"""Stories on the teacher's page: the file format, and a story's stages played in turn on the same citizens."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from crmsim.model import CrmModel, load_scenario
from crmsim.viz import classroom
from crmsim.viz.classroom import Classroom
from crmsim.viz.story import StoryError, load_story, story_path

ROOT = Path(__file__).resolve().parents[1]
PAPER = ROOT / "scenarios" / "stories" / "paper.toml"


@pytest.fixture(autouse=True)
def no_pacing(monkeypatch):
    monkeypatch.setattr(classroom, "FASTEST_WEEK", 0.0)


def short_story(folder: Path, weeks=(3, 4, 2)) -> Path:
    """The paper's stages, shortened: what a teacher writing their own story would do."""
    text = PAPER.read_text(encoding="utf-8").replace('"../', f'"{(ROOT / "scenarios").as_posix()}/')
    for old, new in zip(("weeks = 52",) * 3, (f"weeks = {w}" for w in weeks)):
        text = text.replace(old, new, 1)
    path = folder / "short.toml"
    path.write_text(text, encoding="utf-8")
    return path


def play(room: Classroom) -> int:
    weeks = 0
    while room.running:
        room.step()
        weeks += 1
    return weeks


def test_the_paper_story_is_the_baseline_then_digital_first_then_funded_mediation():
    story = load_story(story_path("paper"))
    assert [stage.spec.policies for stage in story.stages] == [
        ["supply_front_office"], ["digital_first"], ["digital_first", "funded_prescribers"]]
    # a year each: each stage ends on yearly rates that are its own policy's alone
    assert story.stages[0].spec.name == "calibrated_baseline" and all(s.weeks == 52 for s in story.stages)
    assert all(s.caption for s in story.stages) and story.citizens == 500


def test_a_story_plays_its_stages_in_turn_on_the_same_citizens_then_stops(tmp_path):
    room = Classroom(story=short_story(tmp_path), n_citizens=300)
    run = room.runs[0]
    stages, trust_at_switch = [], []
    while room.running:
        before = run.citizens.trust.copy()
        stage = room.stage
        room.step()
        stages.append(stage)
        if room.stage != stage:  # the week that ended a stage switched the policy, and nothing else
            trust_at_switch.append(np.array_equal(before, run.citizens.trust))
            assert run.policy_weeks == 0 and len(run.records) == 1
            # the new period starts from the citizens as the last stage left them, not from the warm-up
            assert run.records[0]["trust_mean"] != Classroom(story=short_story(tmp_path), n_citizens=300) \
                .runs[0].records[0]["trust_mean"]
    assert stages == [0] * 3 + [1] * 4 + [2] * 2
    assert trust_at_switch == [False, False]  # the switching week is a week of the old policy, played
    assert run.spec.policies == ["digital_first", "funded_prescribers"] and run.policy_weeks == 2
    assert not room.running and len(run.records) == 3


def test_a_story_is_the_same_story_every_time_it_is_played(tmp_path):
    first, second = (Classroom(story=short_story(tmp_path), n_citizens=200) for _ in range(2))
    assert play(first) == play(second) == 9
    a, b = first.runs[0], second.runs[0]
    assert np.array_equal(a.citizens.trust, b.citizens.trust) and a.records[-1].keys() == b.records[-1].keys()
    assert np.allclose(list(a.records[-1].values()), list(b.records[-1].values()), equal_nan=True)


def test_funded_mediation_after_digital_first_lowers_the_least_skilled_quarters_non_take_up(tmp_path):
    """The last stage's policy acts on what follows: against the same story with digital first going on instead,
    on the same citizens (paired seeds), funded mediation lowers the least skilled quarter's non-take-up.

    Measured: -0.071 (standard error 0.012) over 8 seeds, all 8 below zero; a one-sided paired t-test at 1% leaves
    room for an effect a third of that size.
    """
    mediated = short_story(tmp_path, weeks=(2, 8, 26))
    (tmp_path / "kept_on").mkdir()
    kept_on = tmp_path / "kept_on" / "short.toml"
    kept_on.write_text(mediated.read_text(encoding="utf-8").replace(
        'policy = ["digital_first", "funded_prescribers"]', 'policy = ["digital_first"]'), encoding="utf-8")
    differences = []
    for seed in range(8):
        ends = []
        for story in (mediated, kept_on):
            room = Classroom(story=story, n_citizens=400, rng=seed)
            play(room)
            ends.append(room.runs[0].records[-1]["non_take_up_bottom"])
        differences.append(ends[0] - ends[1])
    assert stats.ttest_1samp(differences, 0.0, alternative="less").pvalue < 0.01, differences


def test_a_switch_of_policy_keeps_the_citizens_and_refuses_another_world():
    baseline = load_scenario(ROOT / "scenarios" / "calibrated_baseline.toml").with_values({"n_citizens": 200})
    run = CrmModel(baseline, rng=3)
    run.run(5)
    knowledge = run.citizens.knowledge.copy()
    run.switch_policy(load_scenario(ROOT / "scenarios" / "digital_first.toml").with_values({"n_citizens": 200}))
    assert np.array_equal(run.citizens.knowledge, knowledge) and run.policy_weeks == 0 and run.running
    with pytest.raises(ValueError, match="the policy, the levers, the prices and the steps only"):
        run.switch_policy(baseline.with_values({"n_citizens": 201}))


def test_a_story_with_a_second_scenario_or_levers_is_refused():
    with pytest.raises(ValueError, match="runs its stages as written"):
        Classroom(ROOT / "scenarios" / "faq.toml", story=PAPER, faq_quality=0.5)


def test_an_unknown_story_name_lists_the_shipped_ones():
    with pytest.raises(StoryError, match="no such story; allowed: paper"):
        story_path("tale")


def test_the_story_ends_with_each_stages_yearly_rates_read_across_stages(tmp_path):
    """The captions ask across stages ("do the lost users stop growing?"): the summary answers at the end."""
    from crmsim.viz.page_change import shown_value
    from crmsim.viz.page_monitors import MONITORED
    from crmsim.viz.page_story import story_frame

    room = Classroom(story=short_story(tmp_path, weeks=(14, 14, 3)), n_citizens=200)
    frame = story_frame(room)
    assert frame()["summary"] == {}  # nothing to sum up while the story plays
    play(room)
    summary = frame()["summary"]
    assert [row["title"] for row in summary["rows"]] == [
        "At the start", "1. Calibrated baseline (14 weeks)", "2. Digital first (14 weeks)",
        "3. Digital first, with funded mediation (3 weeks)"]
    stages = room.stage_records()
    assert [len(records) for records in stages] == [15, 15, 4]
    ends = [stages[0][0]] + [records[-1] for records in stages]  # the start, then each stage's last week
    for row, record in zip(summary["rows"], ends):
        assert [cell["value"] for cell in row["cells"]] == [shown_value(m, record[m]) for m in MONITORED]
    assert len(summary["columns"]) == len(MONITORED)
    last = summary["rows"][-1]["cells"]
    assert all(cell["change"].endswith("too soon to tell") and cell["tone"] == "same" for cell in last)
    assert all(cell["tone"] in ("same", "better", "worse", "changed") for row in summary["rows"] for cell in row["cells"])
