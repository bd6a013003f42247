"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by Playwright.

Never ``playwright install`` (it downloads a browser, and the machines have no
internet). :func:`open_browser` launches Chromium with the flags that stop its
own calls home; :class:`RequestLog` records every request a page makes, so a
test can assert that none left 127.0.0.1.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Iterator
from urllib.parse import urlsplit

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


@contextlib.contextmanager
def open_browser() -> Iterator["object"]:
    """A Playwright Chromium browser (``playwright.sync_api.Browser``), closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class RequestLog:
    """Every URL a context asked for; ``outside()`` lists those that were not local (file:, data:, loopback)."""

    urls: list[str] = field(default_factory=list)

    def attach(self, context) -> "RequestLog":
        context.on("request", lambda request: self.urls.append(request.url))
        return self

    def outside(self) -> list[str]:
        def local(url: str) -> bool:
            parts = urlsplit(url)
            return parts.scheme in {"file", "data", "blob", "about"} or parts.hostname in LOCAL_HOSTS
        return [url for url in self.urls if not local(url)]


# Every text of each plotly figure with its box, in page pixels. Plotly names each axis's
# groups after it (xtick, x2tick, g-y3title ...), hence the prefix/suffix selectors.
TEXT_BOXES = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map((plot) => {
  const selector = 'g[class^="x"][class$="tick"] > text, g[class^="y"][class$="tick"] > text, '
                 + 'g[class^="g-x"][class$="title"] text, g[class^="g-y"][class$="title"] text, '
                 + '.colorbar text, .annotation-text, .legendtext, .gtitle';
  const frame = plot.getBoundingClientRect();
  const boxes = [];
  for (const el of new Set(plot.querySelectorAll(selector))) {
    const r = el.getBoundingClientRect();
    if (!el.textContent.trim() || r.width < 1 || r.height < 1) continue;
    boxes.push({text: el.textContent, cls: el.getAttribute('class') || el.parentNode.getAttribute('class'),
                x0: r.left, y0: r.top, x1: r.right, y1: r.bottom});
  }
  return {frame: {x0: frame.left, x1: frame.right}, boxes,
          svg: plot.querySelectorAll('.main-svg').length};
})"""


def figure_texts(page) -> list[dict]:
    """Per plotly figure of ``page``: its horizontal extent, its text boxes and its SVG count."""
    return page.evaluate(TEXT_BOXES)


def overlaps(boxes: list[dict], tolerance: float = 1.0) -> list[str]:
    """Every pair of text boxes that intersect by more than ``tolerance`` pixels both ways."""
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if (min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > tolerance
                    and min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]) > tolerance):
                found.append(f"{a['text']!r} ({a['cls']}) overlaps {b['text']!r} ({b['cls']})")
    return found


def text_problems(page) -> list[str]:
    """Overlapping texts, and texts spilling out of their figure, in every plotly figure of ``page``."""
    problems = []
    for i, figure in enumerate(figure_texts(page)):
        problems += [f"figure {i}: {text}" for text in overlaps(figure["boxes"])]
        problems += [f"figure {i}: {b['text']!r} outside the figure" for b in figure["boxes"]
                     if b["x0"] < figure["frame"]["x0"] - 1 or b["x1"] > figure["frame"]["x1"] + 1]
    return problems


# Every chart outside a closed <details> has its SVG: what a reader can see is drawn. A page may draw a folded
# part's charts only when it is opened (crmsim.viz.folds), so "drawn" is asked of what is open.
DRAWN = """() => Array.from(document.querySelectorAll('.plotly-graph-div'))
  .filter((div) => !div.closest('details:not([open])'))
  .every((div) => div.querySelector('.main-svg'))"""


def open_folds(page, timeout: float = 60_000) -> None:
    """Open every folded part (``<details>``) of ``page`` and wait until every chart in them is drawn."""
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    page.wait_for_function(DRAWN, timeout=timeout, polling=50)
