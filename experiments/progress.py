"""How a sweep shows its progress: a bar on a terminal, lines in a log.

- stderr is a terminal: a tqdm bar there (runs done, runs/s, time left), even
  when stdout goes to a file (``crmsim sweep ... > log``), which then gets
  only the start and end lines;
- stderr is not a terminal (a batch job, ``> log 2>&1``, a pipe): a line on
  stdout at least every 10% of the runs, and at least every 30 s while runs
  are going, e.g. ``paper_question: 90 of 450 runs (20%), 3.8 runs/s, about
  1 min 35 s left``, so a log shows how far the sweep got and whether it is
  still alive;
- ``--quiet``: neither.

The lines speak the language the command runs in (``crmsim --lang fr``),
also when the background thread writes them.

The rate and the time left count this session's runs only (a resumed sweep
does not count the runs saved before it started). The time left is read from
the share of this session's *work* done, when the sweep says it (each chunk
warms up once, so its first run is slower: ``runner.work_shares``), and from
the runs done otherwise.

Examples
--------
>>> clock = iter([0.0, 10.0, 20.0]).__next__
>>> lines = []
>>> progress = ProgressLines("exp", total=10, done=0, write=lines.append, clock=clock, every_seconds=None)
>>> progress.update(5)
>>> lines
['exp: 5 of 10 runs (50%), 0.5 runs/s, about 10 s left']
"""

from __future__ import annotations

import math
import sys
import threading
import time
from typing import Any, Callable

from babel.numbers import format_decimal

from crmsim.texts.i18n import _, current, language, number, percent

__all__ = ["ProgressLines", "progress_for", "duration"]

EVERY_SHARE = 0.10  # a line at least every 10% of the runs ...
EVERY_SECONDS = 30.0  # ... and at least every 30 s


def duration(seconds: float) -> str:
    """A time left for people: '45 s', '3 min 20 s', '2 h 05 min'.

    >>> duration(45.2), duration(200), duration(7500)
    ('45 s', '3 min 20 s', '2 h 05 min')
    """
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class ProgressLines:
    """Progress as lines of text, for logs: at every 10% of the runs, and every 30 s in between.

    ``write(line)`` prints a line; ``clock`` gives seconds (``time.monotonic``).
    With ``every_seconds``, a background thread (started by :meth:`start`)
    writes a line when none was written for that long.
    """

    def __init__(self, name: str, total: int, done: int, *, write: Callable[[str], None],
                 clock: Callable[[], float] = time.monotonic, every_share: float = EVERY_SHARE,
                 every_seconds: float | None = EVERY_SECONDS) -> None:
        self.name, self.total, self.done = name, total, done
        self._write, self._clock = write, clock
        self._session = 0
        self._work = 0.0  # share of this session's work done, when updates say it
        self._step = max(1, math.ceil(every_share * max(1, total - done)))
        self._next = self._step
        self._every = every_seconds
        self._lock = threading.Lock()
        self._started = self._last = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lang = current()  # the lines speak the command's language, whichever thread writes them

    def line(self) -> str:
        with language(self._lang):  # the background thread carries no context of the command's
            share = self.done / self.total if self.total else 1.0
            text = _("{name}: {done} of {total} runs ({share})").format(
                name=self.name, done=number(self.done, 0), total=number(self.total, 0), share=percent(share))
            pace = self.pace()
            return f"{text}, {pace}" if pace else _("{progress}, no run finished yet in this session").format(
                progress=text)

    def pace(self) -> str | None:
        """This session's rate and the time left at it, e.g. '10 runs/s, about 54 s left' (None before any run).

        The time left is read from the share of the session's work done when
        updates say it, else from the runs done.
        """
        elapsed = self._clock() - self._started
        if self._session == 0 or elapsed <= 0:
            return None
        if self._work > 0:
            left = elapsed * max(0.0, 1 - self._work) / self._work
        else:
            left = (self.total - self.done) * elapsed / self._session
        with language(self._lang):
            rate = format_decimal(self._session / elapsed, format="@#", locale=current())  # 2 significant digits at most
            return _("{rate} runs/s, about {left} left").format(rate=rate, left=duration(left))

    def _emit(self) -> None:
        self._write(self.line())
        self._last = self._clock()

    def update(self, n: int, work: float | None = None) -> None:
        """``n`` more runs are saved (``work``: their share of this session's work); write a line every 10%."""
        with self._lock:
            self.done += n
            self._session += n
            if work is not None:
                self._work += work
            if self._session >= self._next or self.done >= self.total:
                self._next = (self._session // self._step + 1) * self._step
                self._emit()

    def start(self) -> "ProgressLines":
        """Start the thread that writes a line when none was written for ``every_seconds``."""
        if self._every is not None and self._thread is None:
            self._thread = threading.Thread(target=self._tick, daemon=True, name="crmsim-progress")
            self._thread.start()
        return self

    def poll(self) -> None:
        """Write a line if none was written for ``every_seconds`` (the thread calls this every second)."""
        with self._lock:
            if self._every is not None and self._clock() - self._last >= self._every:
                self._emit()

    def _tick(self) -> None:
        assert self._every is not None
        while not self._stop.wait(min(1.0, self._every)):
            self.poll()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


class _Bar:
    """A tqdm bar on stderr with the same interface as ProgressLines."""

    def __init__(self, total: int, done: int) -> None:
        from tqdm import tqdm

        # ``initial``: the rate and time left count this session's runs only.
        # The time left is ours (by work, as ProgressLines), not tqdm's (by runs).
        self._bar = tqdm(total=total, initial=done, unit="run", desc="runs", dynamic_ncols=True, smoothing=0.1,
                         file=sys.stderr, bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} runs [{elapsed}{postfix}]")
        self._lines = ProgressLines("", total, done, write=lambda _: None, every_seconds=None)

    def update(self, n: int, work: float | None = None) -> None:
        self._lines.update(n, work)
        self._bar.set_postfix_str(self._lines.pace() or "", refresh=False)
        self._bar.update(n)

    def close(self) -> None:
        self._bar.close()


def progress_for(name: str, total: int, done: int, *, quiet: bool) -> Any:
    """A bar when stderr is a terminal, lines on stdout otherwise, None when ``quiet``."""
    if quiet:
        return None
    if sys.stderr.isatty():
        return _Bar(total, done)
    return ProgressLines(name, total, done, write=lambda text: print(text, flush=True)).start()
