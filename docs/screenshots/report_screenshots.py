"""Screenshots of a sweep's report for the README: docs/screenshots/report-1280.png, report-1920.png, report-fr-1280.png.

    .venv/bin/crmsim sweep experiments/paper_question.toml
    .venv/bin/python docs/screenshots/report_screenshots.py results/paper_question/

Writes the report in French, then in English (so report.html is left in
English), opens each offline in Debian's Chromium (``tests/browser.py``, never
``playwright install``) and keeps the top of the page: the header, the
contents and the first charts. ``tests/test_report_readable.py`` checks the
same pages for overlapping text; this only takes the pictures.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from crmsim.viz.report import write_report  # noqa: E402
from tests.browser import open_browser  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
HEIGHT = 3000  # px of the page kept, from its top
SHOTS = (("fr", 1280, "report-fr-1280.png"), ("en", 1280, "report-1280.png"), ("en", 1920, "report-1920.png"))


def main(results: Path) -> None:
    with open_browser() as browser:
        for lang, width, name in SHOTS:
            write_report(results, lang=lang)
            page = browser.new_page(viewport={"width": width, "height": HEIGHT})
            page.goto((results / "report.html").resolve().as_uri())
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length > 0")
            page.screenshot(path=str(OUT / name), clip={"x": 0, "y": 0, "width": width, "height": HEIGHT})
            page.close()
            print(f"wrote {OUT / name}")


if __name__ == "__main__":
    if len(sys.argv) != 2 or not (Path(sys.argv[1]) / "manifest.json").is_file():
        sys.exit("usage: report_screenshots.py results/EXPERIMENT/  (a sweep's results folder)")
    main(Path(sys.argv[1]))
