"""Screenshots of the teacher's page (``crmsim viz``) at 1,280 x 800: teacher.png and story_end.png in OUT_DIR.

    .venv/bin/python tools/screenshot_teacher.py docs/screenshots

- ``teacher.png``: the page as it opens (the calibrated baseline), after the
  baseline has played half a year: the monitors with their verdicts, the
  network, the first charts;
- ``story_end.png``: the paper's story (``crmsim viz --story paper``) played
  to its end: the banner with the summary of its stages.

It starts ``crmsim viz`` as the browser tests do (``tests/viz_page.py``: a
free loopback port, stopped with SIGTERM) and drives Debian's Chromium
(``tests/browser.py``, never ``playwright install``). It takes the first
screen only, as a new user sees it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import open_browser  # noqa: E402
from tests.viz_page import Teacher, serve  # noqa: E402

VIEWPORT = {"width": 1280, "height": 800}
WEEKS = 26  # how long the baseline plays before its picture: past the weeks the monitors need to judge a change
# Pressing Mesa's buttons scrolls the sidebar down to them: back to the top, as the page opens.
SIDEBAR_TO_TOP = "document.querySelectorAll('.v-navigation-drawer__content').forEach((e) => { e.scrollTop = 0; })"


def baseline(out: Path) -> Path:
    """The page as it opens, after the baseline has played WEEKS weeks."""
    with serve() as server, open_browser() as browser:
        teacher = Teacher(browser.new_context(viewport=VIEWPORT).new_page(), server.url)
        teacher.play_until(WEEKS)  # at Mesa's own speed, as a class watches it
        teacher.page.evaluate(SIDEBAR_TO_TOP)
        shot = out / "teacher.png"
        teacher.page.screenshot(path=str(shot))
    return shot


def story_end(out: Path) -> Path:
    """The paper's story, played to its end: its summary across stages."""
    with serve("--story", "paper") as server, open_browser() as browser:
        teacher = Teacher(browser.new_context(viewport=VIEWPORT).new_page(), server.url)
        teacher.fastest()
        teacher.press("▶")
        teacher.wait_for(lambda: teacher.story()["over"] == "1", "the story's end", timeout=300)
        teacher.page.locator(".crmsim-story-summary").wait_for(timeout=10_000)
        teacher.page.evaluate(SIDEBAR_TO_TOP)
        time.sleep(0.5)  # the last frames of the charts
        shot = out / "story_end.png"
        teacher.page.screenshot(path=str(shot))
    return shot


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: tools/screenshot_teacher.py OUT_DIR  (e.g. docs/screenshots)", file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for shot in (baseline(out), story_end(out)):
        print(f"wrote {shot}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
