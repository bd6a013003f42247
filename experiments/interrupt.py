"""SIGTERM stops a sweep the way Ctrl-C does.

A batch system (Slurm at the end of a walltime, systemd, ``kill``) stops a
program with SIGTERM, whose default action ends the process at once: the
manifest would not record the session's end, and the sweep's worker
processes would be left to notice on their own. Inside
:func:`sigterm_as_interrupt`, SIGTERM instead raises :class:`Terminated`, a
``KeyboardInterrupt``, in the main thread, so the sweep stops exactly as
after Ctrl-C: the session is closed in the manifest as "interrupted
(SIGTERM)", the workers are stopped, finished chunks stay saved. The
``sweep`` command then exits with 143 (128 + 15, what a shell reports for a
process ended by SIGTERM), as it exits with 130 after Ctrl-C.

A second SIGTERM while the sweep is stopping ends the process at once (the
default action is restored after the first), as a second Ctrl-C would.

Some writes must not be cut halfway: an exception raised inside pyabc's
database write leaves its sqlite file locked, and the next step fails with a
traceback instead of stopping cleanly. Inside :func:`interrupts_held`, Ctrl-C
and SIGTERM wait for the block to end, then stop as above.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Any, Iterator

from crmsim.texts import exits

__all__ = ["Terminated", "sigterm_as_interrupt", "interrupts_held", "EXIT_INTERRUPTED", "EXIT_TERMINATED"]

EXIT_INTERRUPTED = exits.INTERRUPTED  # 130
EXIT_TERMINATED = exits.TERMINATED  # 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread; ``args[0]`` is 'SIGTERM'."""


_held = 0  # how deep inside interrupts_held the main thread is
_pending: list[int] = []  # signals that arrived meanwhile


def _raise(signum: int, frame: Any) -> None:
    if _held:
        _pending.append(signum)
        return
    _stop(signum)


def _stop(signum: int) -> None:
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    signal.signal(signum, signal.SIG_DFL)  # a second one ends the process
    raise Terminated(signal.Signals(signum).name)


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Within the block, Ctrl-C and SIGTERM (under :func:`sigterm_as_interrupt`) wait; at its end they stop."""
    global _held
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    outermost = _held == 0
    if outermost:
        previous = signal.signal(signal.SIGINT, _raise)
    _held += 1
    try:
        yield
    finally:
        _held -= 1
        if outermost:
            signal.signal(signal.SIGINT, signal.default_int_handler if previous is None else previous)
            if _pending:
                signum = _pending[0]
                _pending.clear()
                _stop(signum)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)  # None: set outside Python
