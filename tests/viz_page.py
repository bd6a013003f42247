"""Drive the teacher's page (``crmsim viz``) in headless Chromium: for its end-to-end test and its benchmark.

:func:`serve` starts ``crmsim viz`` on a free loopback port as the teacher
would, in its own process, and stops it with SIGTERM, checking that it
exits (143) and leaves no process behind; :class:`Teacher` clicks and reads
the page as a person would (the counter, the buttons, Mesa's sliders, the
pickers), plus what the page's drawings record on their elements for tests:
the frame on screen, its week, a checksum of the network's colours, a chart's
points.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import psutil

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = {"127.0.0.1", "::1"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A running ``crmsim viz``: its address, its process, and every remote address it was seen connected to."""

    url: str
    process: subprocess.Popen
    log: Path
    remotes: set[str] = field(default_factory=set)
    watching: threading.Event = field(default_factory=threading.Event)

    def watch_connections(self) -> None:
        """Every 20 ms until ``watching`` is cleared, note the remote address of each connection the server holds."""
        self.watching.set()
        while self.watching.is_set():
            with contextlib.suppress(psutil.NoSuchProcess, psutil.ZombieProcess):
                for connection in psutil.Process(self.process.pid).net_connections(kind="inet"):
                    if connection.raddr:
                        self.remotes.add(connection.raddr.ip)
            time.sleep(0.02)


@contextlib.contextmanager
def serve(*args: str, lang: str | None = None, stop: int = signal.SIGTERM, expect: int = 143,
          timeout: float = 90) -> Iterator[Server]:
    """``crmsim [--lang L] viz ARGS --port <free>``, until the block ends; then ``stop``: it must exit ``expect``
    within 30 s."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="crmsim-viz-", suffix=".log")[1])
    with log.open("w") as sink:
        language = ["--lang", lang] if lang else []
        process = subprocess.Popen([sys.executable, "-m", "crmsim", *language, "viz", *args, "--port", str(port)],
                                   stdout=subprocess.PIPE, stderr=sink, text=True, cwd=ROOT,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
    server = Server(f"http://127.0.0.1:{port}/", process, log)
    watcher = threading.Thread(target=server.watch_connections, daemon=True)
    watcher.start()
    try:
        first = process.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in first, (first, log.read_text()[-3000:])
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(server.url, timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"crmsim viz did not start:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.3)
        yield server
    finally:
        server.watching.clear()
        watcher.join()
        family = [process.pid, *(c.pid for c in _children(process.pid))]
        process.send_signal(stop)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise AssertionError(f"crmsim viz did not stop within 30 s of {signal.Signals(stop).name}") from None
        time.sleep(0.5)
        left = [pid for pid in family if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
        assert not left, f"processes left behind: {left}"
        assert code == expect, (code, log.read_text()[-3000:])


def _children(pid: int) -> list[psutil.Process]:
    with contextlib.suppress(psutil.NoSuchProcess):
        return psutil.Process(pid).children(recursive=True)
    return []


# Each card of Mesa's grid whose descendants reach more than a pixel below or right of it.
OVERFLOWING = """() => Array.from(document.querySelectorAll('.vue-grid-item')).filter((item) => {
  const box = item.getBoundingClientRect();
  return Array.from(item.querySelectorAll('*')).some((e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && (r.bottom > box.bottom + 1 || r.right > box.right + 1);
  });
}).map((item) => item.innerText.slice(0, 40))"""
TEXTS = """() => Array.from(document.querySelectorAll('body *')).flatMap((e) => Array.from(e.childNodes)
  .filter((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim()).map((n) => n.textContent.trim()))"""


# Records the story banner's stage and the captions it showed, at every change of the page, in order.
STORY_RECORDER = """() => {
  window.crmsimStagesSeen = {};
  const note = () => {
    const banner = document.querySelector('.crmsim-story');
    if (banner && banner.dataset.stage) {
      const lines = banner.innerText.split('\\n');
      const seen = (window.crmsimStagesSeen[banner.dataset.stage] ||= []);
      if (!seen.includes(lines[lines.length - 1])) seen.push(lines[lines.length - 1]);
    }
  };
  note();
  new MutationObserver(note).observe(document.body, {subtree: true, childList: true, attributes: true,
                                                     characterData: true});
}"""


class Teacher:
    """One browser tab on the page, used through what a person sees."""

    def __init__(self, page, url: str) -> None:
        self.page = page
        page.goto(url)
        page.wait_for_selector("canvas.crmsim-network", timeout=60_000)
        page.wait_for_selector("svg.crmsim-chart", timeout=60_000)

    def story(self) -> dict[str, str]:
        """The story's banner: the stage (1, 2, ...), its week, whether the story is over ("1"), and its text."""
        return self.page.locator(".crmsim-story").evaluate("b => ({...b.dataset, text: b.innerText})")  # one moment

    def record_story(self) -> None:
        """Keep, in the page itself, every stage's last caption line the banner shows.

        Read with ``stages_seen``. Polling from the test can miss a short stage when the machine is
        loaded (a 14-week stage plays in about 2 s); an observer in the page sees every change of the DOM.
        """
        self.page.evaluate(STORY_RECORDER)

    def stages_seen(self) -> dict[str, list[str]]:
        """Each stage the banner has shown since ``record_story``, with every last line of its text it showed."""
        return self.page.evaluate("() => window.crmsimStagesSeen")

    # -- what the page shows ---------------------------------------------------------------------
    def week(self) -> int:
        """The week on the page's counter ("Week 5 of 52", drawn with the network it belongs to)."""
        return self.network()["week"]

    def titles(self) -> list[str]:
        """The scenario above each network."""
        return self.page.locator(".crmsim-run-title").all_inner_texts()

    def network(self, index: int = 0) -> dict[str, int]:
        """The frame a network canvas shows: frame number, week, checksum of its colours, citizens."""
        return self._drawn("canvas.crmsim-network", index)

    def chart(self, index: int = 0) -> dict[str, int]:
        """The frame a chart shows: frame number and points drawn."""
        return self._drawn("svg.crmsim-chart", index)

    def _drawn(self, selector: str, index: int) -> dict[str, int]:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            data = self.page.locator(selector).nth(index).evaluate("c => ({...c.dataset})", timeout=15_000)
        except PlaywrightTimeout:  # say what the page shows instead (an error, a reconnecting notice ...)
            raise AssertionError(f"no {selector} on the page, which shows:\n{self.page.inner_text('body')[:3000]}") \
                from None
        return {key: int(value) for key, value in data.items() if key != "boxes"}

    def network_boxes(self, index: int = 0) -> dict[str, list[float]]:
        """Where a network canvas drew its nodes' markers, the administrations' row and the week's label:
        name -> [x0, y0, x1, y1] in the canvas's pixels."""
        return json.loads(self.page.locator("canvas.crmsim-network").nth(index).get_attribute("data-boxes"))

    def monitors(self, row: int = 0) -> dict[str, str]:
        """The monitors of one scenario as a person reads them: metric -> "value | change"."""
        cards = self.page.locator(".crmsim-monitor-row").nth(row).locator(".crmsim-monitor")
        return {card.get_attribute("data-metric"): " | ".join(card.locator("div").all_inner_texts()[1:])
                for card in cards.all()}

    def tones(self, row: int = 0) -> dict[str, str]:
        """How each monitor of one scenario is coloured: metric -> better, worse, changed (a cost) or same (grey)."""
        cards = self.page.locator(".crmsim-monitor-row").nth(row).locator(".crmsim-monitor")
        return {card.get_attribute("data-metric"): card.get_attribute("data-tone") for card in cards.all()}

    def overflowing(self) -> list[str]:
        """The cards of Mesa's grid whose content reaches out of them (over the card below): their first words."""
        return self.page.evaluate(OVERFLOWING)

    def visible_texts(self) -> set[str]:
        """Every piece of text the page shows, each text node's own, trimmed."""
        return set(self.page.evaluate(TEXTS))

    def monitors_week(self) -> int:
        return int(self.page.locator(".crmsim-monitors").get_attribute("data-week"))

    def chart_legend(self, index: int = 0) -> list[str]:
        return self.page.locator("svg.crmsim-chart").nth(index).locator("text").all_text_contents()

    # -- what a person does ------------------------------------------------------------------------
    def press(self, label: str) -> None:
        """Click one of Mesa's buttons: Reset, Step, ▶ (play) or ❚❚ (pause)."""
        self.page.locator("button.v-btn", has_text=label).click()

    def reset(self) -> None:
        """Press Reset and wait for the new model's first frame."""
        frame = self.network()["frame"]
        self.press("Reset")
        self.wait_for(lambda: self.network()["frame"] > frame and self.week() == 0, "the frame of the new model")

    def fastest(self) -> None:
        """Mesa's play interval at its shortest (1 ms): the page then plays as fast as it paces weeks (FASTEST_WEEK)."""
        self.slide("Play Interval (ms)", "Home")

    def play_until(self, week: int, timeout: float = 60) -> None:
        """Press play, wait for ``week`` on the counter, press pause, and wait for the last week to be drawn."""
        self.press("▶")
        self.wait_for(lambda: self.week() >= week, f"week {week} playing", timeout=timeout)
        self.press("❚❚")
        self.page.locator("button.v-btn", has_text="▶").wait_for(timeout=5000)
        self.wait_for(lambda: self.monitors_week() == self.week(), "the monitors at the last week drawn")

    def step(self, times: int = 1) -> None:
        for _ in range(times):
            week = self.week()
            self.press("Step")
            self.wait_for(lambda: self.week() == week + 1, f"week {week + 1} after Step")

    def wait_for(self, condition, what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.05)

    def _field(self, label: str):
        return self.page.locator(".v-input").filter(has=self.page.get_by_text(label, exact=True))

    def choose(self, label: str, option: str) -> None:
        """Pick ``option`` in the drop-down list labelled ``label``."""
        self._field(label).locator(".v-select__slot").click()
        self.page.locator(".menuable__content__active .v-list-item", has_text=option).first.click()

    def slide(self, label: str, *keys: str) -> None:
        """Move the slider labelled ``label`` with the keyboard, e.g. ("Home", "ArrowRight")."""
        thumb = self._field(label).locator(".v-slider__thumb-container")
        for key in keys:
            thumb.press(key)

    def tick(self, label: str) -> None:
        self.page.get_by_text(label, exact=True).click()
