"""Take a picture of the first screen of a comparison's page, as a workshop sees it on opening.

Usage: python tools/screenshot_overview.py FOLDER OUT.png [--width 1280] [--height 800]

FOLDER is a ``crmsim compare`` results folder (or its compare.html); OUT.png
gets the first ``--width`` x ``--height`` pixels of the page, drawn offline
by Debian's Chromium (tests/browser.py) once its unfolded charts are drawn.
For the docs, after ``make run``:

    python tools/screenshot_overview.py results/compare/calibrated_baseline_vs_15_more_* docs/screenshots/overview.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/browser.py and tools/measure_page.py

from tests.browser import DRAWN, open_browser  # noqa: E402
from tools.measure_page import page_file  # noqa: E402


def screenshot(page: Path, out: Path, width: int, height: int) -> Path:
    """The first screen of ``page`` written to ``out`` (PNG); returns ``out``."""
    with open_browser() as browser:
        tab = browser.new_page(viewport={"width": width, "height": height})
        tab.goto(page.resolve().as_uri(), wait_until="load", timeout=120_000)
        tab.wait_for_function(DRAWN, timeout=120_000, polling=50)
        tab.screenshot(path=str(out))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, metavar="FOLDER", help="a crmsim compare results folder")
    parser.add_argument("out", type=Path, metavar="OUT.png", help="the picture to write, e.g. overview.png")
    parser.add_argument("--width", type=int, default=1280, help="window width in px (default: 1280)")
    parser.add_argument("--height", type=int, default=800, help="window height in px (default: 800)")
    args = parser.parse_args(argv)
    if args.out.suffix.lower() != ".png" or not args.out.parent.is_dir():
        parser.error(f"OUT.png: {args.out}: allowed: a .png in an existing folder, e.g. docs/screenshots/overview.png")
    if args.width < 320 or args.height < 200:
        parser.error("--width: at least 320 px, --height: at least 200 px, e.g. --width 1280 --height 800")
    print(f"wrote {screenshot(page_file(args.folder), args.out, args.width, args.height)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
