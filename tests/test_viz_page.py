"""The teacher's page end to end: ``crmsim viz`` in real headless Chromium, offline, one model per tab.

One test walks through what a teacher does (the steps share a server and a
browser: starting them is most of the cost): let the baseline run a year and
read its monitors, pick a scenario, step and watch the monitors, change the
population and reset, recolour the network (by channel, by who was lost, by
skill quarter), open a second tab, run two scenarios side by side, then run
them in another country. Throughout, every request the browser makes and
every connection the server holds must stay on 127.0.0.1; at the end the
server must stop on SIGTERM and leave no process behind (``tests/viz_page.serve``).
The window is 1,280 x 800, where a new user found texts covered.

Screenshots go to the test's temporary folder; the README's (``teacher_page.png``,
``teacher_page_lost.png``) go to ``$CRMSIM_SCREENSHOTS`` when set: ``CRMSIM_SCREENSHOTS=docs/screenshots``
refreshes it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from babel.messages.pofile import read_po

from crmsim.texts.i18n import LOCALE_DIR
from crmsim.model.scenario import load_scenario
from crmsim.viz.page_countries import country_note
from tests.browser import RequestLog, open_browser
from tests.test_story import short_story
from tests.viz_page import LOOPBACK, ROOT, Teacher, serve

VIEWPORT = {"width": 1280, "height": 800}
# Mesa's own controls, in English whatever the page's language.
MESA_TEXTS = {"Controls", "Play Interval (ms)", "Render Interval (steps)", "Use Threads", "Model Parameters",
              "Information", "Reset", "Step"}
BASELINE = ROOT / "scenarios" / "calibrated_baseline.toml"


def apart(a: list[float], b: list[float]) -> bool:
    """Two boxes [x0, y0, x1, y1] do not overlap."""
    return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
PO = LOCALE_DIR / "fr" / "LC_MESSAGES" / "crmsim.po"


def test_a_teacher_runs_scenarios_live_offline_with_one_model_per_tab(tmp_path):
    shots = Path(os.environ.get("CRMSIM_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with serve() as server, open_browser() as browser:
        context = browser.new_context(viewport=VIEWPORT)
        requests = RequestLog().attach(context)
        failed = []  # an asset the install lacks would fail here rather than load from the internet
        context.on("response", lambda response: response.status >= 400 and failed.append(response.url))
        context.on("requestfailed", lambda request: failed.append(request.url))
        teacher = Teacher(context.new_page(), server.url)

        # The page opens on the baseline at week 0, with a class-sized population; the tab bears its name.
        assert teacher.titles() == ["Calibrated baseline"]
        assert teacher.week() == 0 and teacher.network()["citizens"] == 500
        assert teacher.page.title() == "Calibrated baseline · crmsim"
        assert not teacher.page.get_by_text("Page 0").is_visible()  # Mesa's tab bar, hidden
        assert teacher.page.get_by_text("This website runs on").count() == 0  # Solara's badge covered a chart
        opening = teacher.monitors()
        assert list(opening) == ["trust_mean", "non_take_up_bottom", "lost_users", "public_cost_per_citizen"]
        # yearly rates, already defined at the switch: the share lost in the warm-up's last year, and no change yet
        assert opening["lost_users"].endswith("% | no change since week 0 · too soon to tell"), opening
        assert opening["lost_users"][0] in "123456789"

        # The baseline runs unchanged for a year: its monitors show what moved, and call none of it better or worse.
        teacher.fastest()
        teacher.play_until(52)
        year = teacher.monitors()
        assert all(text.endswith("· within noise") and "since week 0" in text for text in year.values()), year
        assert set(teacher.tones().values()) == {"same"}
        assert "each number counts the last 52 weeks" in teacher.page.locator(".crmsim-monitor-note").inner_text()
        # The week's label has its own band: no marker, nor the administrations' row, covers it.
        boxes = teacher.network_boxes()
        assert apart(boxes["label"], boxes["nodes"]) and apart(boxes["label"], boxes["administrations"]), boxes
        assert apart(boxes["nodes"], boxes["administrations"]), boxes

        assert teacher.page.locator(".crmsim-country").inner_text() == country_note(load_scenario(BASELINE))

        # Pick a scenario: its description shows, and the page starts it at week 0.
        teacher.choose("Scenario", "FAQ / helpdesk")
        teacher.wait_for(lambda: teacher.titles() == ["FAQ / helpdesk"], "the FAQ scenario")
        assert teacher.page.get_by_text("An FAQ", exact=False).first.is_visible()
        assert teacher.week() == 0
        start, chart = teacher.network(), teacher.chart()

        # Step five times: the counter, the network's colours and a chart's data follow.
        teacher.step(5)
        teacher.wait_for(lambda: teacher.network()["week"] == 5, "the network at week 5")
        assert teacher.week() == 5
        assert teacher.network()["colours"] != start["colours"]
        assert teacher.chart()["points"] > chart["points"]
        # The monitors follow, each with its change since week 0.
        teacher.wait_for(lambda: teacher.monitors_week() == 5, "the monitors at week 5")
        monitors = teacher.monitors()
        assert monitors["lost_users"].endswith("since week 0 · too soon to tell"), monitors  # 5 weeks: too few moves
        assert monitors["lost_users"].startswith(tuple("123456789")), monitors
        assert "since week 0" in monitors["public_cost_per_citizen"] and "€" in monitors["public_cost_per_citizen"]
        assert teacher.page.title() == "FAQ / helpdesk · crmsim"
        teacher.page.screenshot(path=str(tmp_path / "teacher_page_five_weeks.png"))

        # Change a lever and the population, and reset: a new model, from the new values, at week 0.
        teacher.slide("FAQ quality", "End")
        teacher.slide("Citizens", "ArrowRight")  # one notch: 50 more
        teacher.reset()
        assert teacher.network()["citizens"] == 550 and teacher.week() == 0
        teacher.page.get_by_text("What the sliders do").click()
        help_text = teacher.page.locator(".v-expansion-panel-content").inner_text()
        assert "FAQ quality: 1" in help_text and "Citizens: 550" in help_text  # was 0.6 in faq.toml

        # Colour by last channel: the colours change and the legend names the channels.
        teacher.step(2)
        before = teacher.network()
        teacher.choose("Colour citizens by", "last channel")
        teacher.wait_for(lambda: teacher.network()["colours"] != before["colours"], "the channel colours")
        assert teacher.page.get_by_text("gave up", exact=True).is_visible()
        assert teacher.network()["week"] == before["week"] == 2
        assert teacher.overflowing() == []  # the longest legend still fits its card: nothing spills over a chart

        # Colour by who was lost, then by skill quarter: who is left behind, community by community.
        channels = teacher.network()
        teacher.choose("Colour citizens by", "lost this year (a failure left without redress)")
        teacher.wait_for(lambda: teacher.network()["colours"] != channels["colours"], "the lost colours")
        assert teacher.page.get_by_text("lost in the last 52 weeks", exact=True).is_visible()
        lost = teacher.network()
        teacher.choose("Colour citizens by", "digital skill quarter")
        teacher.wait_for(lambda: teacher.network()["colours"] != lost["colours"], "the skill quarters")
        assert teacher.page.get_by_text("least skilled quarter", exact=True).is_visible()

        # A second tab has its own model: it opens on the baseline at week 0, and stepping it leaves the first alone.
        other = Teacher(context.new_page(), server.url)
        assert other.week() == 0 and other.network()["citizens"] == 500
        other.step(1)
        assert other.week() == 1 and teacher.week() == 2
        other.page.close()

        # Side by side: the same citizens under two policies, stepped together, their charts overlaid,
        # a row of monitors each.
        teacher.choose("Compare with", "Redress procedure")
        teacher.wait_for(lambda: teacher.page.locator("canvas.crmsim-network").count() == 2, "two networks")
        assert teacher.week() == 0
        assert teacher.page.locator(".crmsim-monitor-row-title").all_inner_texts() == ["FAQ / helpdesk",
                                                                                      "Redress procedure"]
        # the scenario beside is read against the first, the same week
        assert all("against FAQ / helpdesk" in text for text in teacher.monitors(1).values())
        teacher.step(3)
        teacher.wait_for(lambda: teacher.network(1)["week"] == 3, "the right network at week 3")
        left, right = teacher.network(0), teacher.network(1)
        assert left["week"] == right["week"] == 3 and left["citizens"] == right["citizens"] == 550
        legend = " ".join(teacher.chart_legend(0))
        assert "FAQ / helpdesk" in legend and "Redress procedure" in legend
        teacher.wait_for(lambda: teacher.chart(0)["points"] == 4 * 4, "4 lines of 4 points in the trust chart")

        # Back to trust; play, then pause: the page answers at once.
        teacher.choose("Colour citizens by", "trust")
        teacher.wait_for(lambda: teacher.page.get_by_text("full trust", exact=True).count() == 2, "the trust legends")
        teacher.play_until(20)
        teacher.wait_for(lambda: teacher.network(0)["week"] == teacher.network(1)["week"], "the last week drawn")
        assert teacher.overflowing() == []
        teacher.page.screenshot(path=str(shots / "teacher_page.png"))
        teacher.choose("Colour citizens by", "lost this year (a failure left without redress)")
        teacher.wait_for(lambda: teacher.page.get_by_text("never lost", exact=True).count() == 2, "the lost legends")
        teacher.page.screenshot(path=str(shots / "teacher_page_lost.png"))

        # Another country: both scenarios run again, from week 0, on Denmark's population and online offer.
        teacher.choose("Country", "Denmark")
        teacher.wait_for(lambda: teacher.page.title() == "FAQ / helpdesk and Redress procedure · Denmark · crmsim",
                         "the pair in Denmark")
        denmark = country_note(load_scenario(BASELINE).with_values({"country": "dk"}))
        assert teacher.page.locator(".crmsim-country").inner_text() == denmark != country_note(load_scenario(BASELINE))
        assert teacher.week() == 0 and teacher.page.locator("canvas.crmsim-network").count() == 2
        context.close()

    assert requests.urls and requests.outside() == [] and failed == []
    assert server.remotes and server.remotes <= LOOPBACK, server.remotes
    for shot in (shots / "teacher_page.png", shots / "teacher_page_lost.png", tmp_path / "teacher_page_five_weeks.png"):
        assert shot.stat().st_size > 10_000


def test_the_paper_story_plays_its_three_stages_with_their_captions_then_stops(tmp_path):
    """The paper's story, its stages shortened to 14 weeks (a year each plays in 8 s at the page's fastest).

    Its screenshot stays in the test's folder: the shipped story's end is tools/screenshot_teacher.py's.
    """
    shots = tmp_path
    with serve("--story", str(short_story(tmp_path, weeks=(14, 14, 14)))) as server, open_browser() as browser:
        context = browser.new_context(viewport=VIEWPORT)
        teacher = Teacher(context.new_page(), server.url)
        title = "Who is left behind when the administration goes digital?"
        assert teacher.page.title() == f"{title} · crmsim" and teacher.titles() == [title]
        opening = teacher.story()
        assert opening["stage"] == "1" and opening["over"] == "0"
        assert opening["text"].startswith("Stage 1 of 3: Calibrated baseline, week 0 of 14")
        assert teacher.page.get_by_text("3. Digital first, with funded mediation (14 weeks)").is_visible()
        assert not teacher.page.get_by_text("FAQ quality").count()  # no lever sliders: the stages set the policy
        assert teacher.page.locator(".crmsim-story-summary").count() == 0  # the summary waits for the end

        teacher.fastest()
        teacher.record_story()
        teacher.press("▶")
        teacher.wait_for(lambda: teacher.story()["over"] == "1", "the story's end", timeout=120)
        banner = teacher.story()
        captions = {stage: lines[0] for stage, lines in teacher.stages_seen().items()}
        assert list(captions) == ["1", "2", "3"] and len(set(captions.values())) == 3
        assert "Counters close" in captions["2"] and "funded" in captions["3"]
        assert banner["stage"] == "3" and banner["week"] == "14" and "the story is over" in banner["text"]
        # It has stopped: the week stays at the last one.
        time.sleep(1.0)
        assert teacher.week() == 14 and teacher.story()["week"] == "14"
        teacher.wait_for(lambda: teacher.monitors_week() == 14, "the monitors at the last week")
        assert all("since the stage began" in text for text in teacher.monitors().values())
        # The summary reads the captions' questions across stages: each stage's yearly rates at its end.
        rows = teacher.page.locator(".crmsim-story-summary-row")
        titles = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
        assert [t.split(" (")[0] for t in titles] == ["At the start", "1. Calibrated baseline", "2. Digital first",
                                                       "3. Digital first, with funded mediation"]
        ends = [cell.split(" ")[0] for cell in rows.nth(3).locator("td").all_inner_texts()[1:]]
        now = [text.split(" | ")[0] for text in teacher.monitors().values()]
        assert ends == [value.split(" ")[0] for value in now]  # the last stage's end is where the monitors stand
        teacher.page.screenshot(path=str(shots / "teacher_story.png"))

        # Reset plays it again from the first stage.
        teacher.press("Reset")
        teacher.wait_for(lambda: teacher.story()["stage"] == "1" and teacher.story()["over"] == "0",
                         "the first stage again")
        context.close()
    assert (shots / "teacher_story.png").stat().st_size > 10_000


def test_the_french_page_and_story_have_no_english_label_of_ours_left():
    """Every text of crmsim's own that French translates differently must be gone from the French page.

    Texts of several words anywhere in the page (a single English word may well be part of a French
    sentence), and single words as a whole text of their own (a label: "Citizens", "Country").
    Mesa's own controls ("Controls", "Play Interval (ms)", "Reset") are Mesa's, in English: not checked.
    """
    with PO.open("rb") as source:
        english = {m.id for m in read_po(source, locale="fr")
                   if isinstance(m.id, str) and "{" not in m.id and m.string != m.id}
    phrases = [text for text in english if " " in text.strip()]
    for args in ((), ("--story", "paper")):
        with serve(*args, lang="fr") as server, open_browser() as browser:
            teacher = Teacher(browser.new_context(viewport=VIEWPORT).new_page(), server.url)
            teacher.step(2)
            teacher.wait_for(lambda: teacher.monitors_week() == 2, "the monitors at week 2")
            text = teacher.page.inner_text("body")
            assert "Confiance moyenne" in text and "crmsim : politiques de médiation, en direct" in text, text[:2000]
            assert "0,25" in teacher.chart_legend(0)  # the charts' numbers are written the French way
            if args:
                assert teacher.story()["text"].startswith("Étape 1 sur 3"), teacher.story()
                assert "depuis le début de l’étape" in text
            else:
                assert "Référence calibrée" in text and "depuis la semaine 0" in text and "Pays" in text
            assert [label for label in phrases if label in text] == []
            assert sorted(english & teacher.visible_texts() - MESA_TEXTS) == []
