"""Measure a comparison page as a reader gets it: its height, its weight and how long it takes to show.

Usage: python tools/measure_page.py FOLDER [--width 1280] [--runs 3]

FOLDER is a ``crmsim compare`` results folder (or its compare.html). The page
is opened offline in Debian's Chromium (tests/browser.py), ``--runs`` times in
a fresh browser context each, and the script prints:

- height: the page's full height in pixels at ``--width`` (its scroll height);
- size: compare.html and every file it loads before it is drawn, in MB;
- load: seconds from navigation to the ``load`` event, and to every chart
  that is not folded away drawn (its SVG present), median of the runs;
- charts: how many charts were drawn at load, and how many in all once every
  folded part is opened (what a page that builds its folded charts only when
  opened still owes its reader).

Example (the numbers in a pull request's "before/after"):

    python tools/measure_page.py results/compare/calibrated_baseline_vs_15_more_7f243bdb
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/browser.py: the one way this project drives Chromium

from tests.browser import DRAWN, open_browser, open_folds  # noqa: E402

CHARTS = "() => Array.from(document.querySelectorAll('.js-plotly-plot')).filter((p) => p.querySelector('.main-svg')).length"
HEIGHT = "() => document.documentElement.scrollHeight"


def page_file(target: Path) -> Path:
    """compare.html in ``target`` (a folder), or ``target`` itself; SystemExit with one line otherwise."""
    page = target / "compare.html" if target.is_dir() else target
    if not page.is_file():
        raise SystemExit(f"measure_page: {target}: no compare.html there; allowed: a crmsim compare results "
                         f"folder or its compare.html, e.g. results/compare/base_vs_faq")
    return page


def measure_once(browser, page: Path, width: int) -> dict[str, float]:
    """One fresh load: seconds to load and to drawn, bytes fetched, height, charts at load and once opened."""
    context = browser.new_context(viewport={"width": width, "height": 800})
    fetched: list[int] = []
    context.on("requestfinished", lambda request: fetched.append(request.sizes()["responseBodySize"]))
    tab = context.new_page()
    start = time.perf_counter()
    tab.goto(page.resolve().as_uri(), wait_until="load", timeout=120_000)
    loaded = time.perf_counter() - start
    tab.wait_for_function(DRAWN, timeout=120_000, polling=50)
    drawn = time.perf_counter() - start
    result = {"load": loaded, "drawn": drawn, "bytes": sum(fetched) or page.stat().st_size,
              "height": tab.evaluate(HEIGHT), "charts": tab.evaluate(CHARTS)}
    open_folds(tab, timeout=120_000)
    result["charts_opened"] = tab.evaluate(CHARTS)
    context.close()
    return result


def measure(page: Path, width: int, runs: int) -> dict[str, float]:
    """The median of ``runs`` loads (the first one included: a reader opens the file once)."""
    with open_browser() as browser:
        results = [measure_once(browser, page, width) for _ in range(runs)]
    return {key: statistics.median(r[key] for r in results) for key in results[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, metavar="FOLDER", help="a crmsim compare results folder")
    parser.add_argument("--width", type=int, default=1280, help="window width in px (default: 1280)")
    parser.add_argument("--runs", type=int, default=3, help="loads to take the median of (default: 3)")
    args = parser.parse_args(argv)
    if args.width < 320 or args.runs < 1:
        parser.error("--width: at least 320 px and --runs: at least 1, e.g. --width 1280 --runs 3")
    page = page_file(args.folder)
    m = measure(page, args.width, args.runs)
    print(f"page      {page}")
    print(f"height    {m['height']:,.0f} px at {args.width} px wide")
    print(f"size      {page.stat().st_size / 1e6:.2f} MB (compare.html); {m['bytes'] / 1e6:.2f} MB fetched to load")
    print(f"load      {m['load']:.2f} s to the load event, {m['drawn']:.2f} s to every unfolded chart drawn "
          f"(median of {args.runs})")
    print(f"charts    {m['charts']:.0f} drawn at load, {m['charts_opened']:.0f} once every fold is opened")
    return 0


if __name__ == "__main__":
    sys.exit(main())
