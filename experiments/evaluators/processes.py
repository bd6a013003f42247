"""Local processes: a ``ProcessPoolExecutor`` sized to the cores (the default backend).

The start method is chosen for this pool only, through the context given to
the executor (``forkserver`` where the platform has it, else ``spawn``); the
process-wide default start method is never changed. Workers never fork a
parent that holds threads (the progress bar, a Dask client...). Each worker
keeps numeric libraries to one thread (``OMP_NUM_THREADS`` and the like, unless
already set), as Dask's workers do, so N workers use N cores, not N x N.

If a worker process dies (killed, out of memory), the pool breaks; the
evaluator then starts a new pool and resubmits the chunks that were in flight,
up to ``max_restarts`` times, so no chunk is lost.

Workers never outlive the process that started the pool. Killed with
SIGKILL, that process cannot stop them, and a worker of a ``forkserver`` pool
is the fork server's child, not its own: it would wait for work forever,
keeping the fork server and multiprocessing's resource tracker alive too
(about 190 MB each for crmsim's workers). So each worker watches the pool's
process (a thread blocked on a pidfd on Linux, else polling its pid every
second) and exits as soon as it is gone; on Linux it also asks the kernel for
SIGTERM when its own parent dies (``prctl(PR_SET_PDEATHSIG)``). Once the
workers are gone, the fork server and the resource tracker exit by themselves.
Stopped on an error, Ctrl-C or SIGTERM (``close(abort=True)``), the pool
terminates its workers at once instead of waiting for their chunks.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterable, Iterator, TypeVar

from crmsim.experiments.evaluators.base import Evaluator, EvaluatorError

__all__ = ["ProcessEvaluator", "available_cores"]

C = TypeVar("C")
R = TypeVar("R")


def available_cores() -> int:
    """Cores this process may use (its CPU affinity where the platform tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


# Each worker is one of ``workers`` processes sharing the cores: numeric
# libraries in it should not start a thread per core each (Dask's nanny does
# the same for its workers). Set in the worker before numpy loads, never here.
_ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _single_threaded() -> None:
    for name in _ONE_THREAD:
        os.environ.setdefault(name, "1")


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _term_when_parent_dies() -> None:
    """Linux only: the kernel sends this process SIGTERM when its parent dies (elsewhere: nothing)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):  # no libc prctl: the watchdog below still works
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _watch(pid: int) -> None:
    """Return when process ``pid`` has ended."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    except (AttributeError, OSError):  # no pidfd (not Linux, or an old kernel): poll
        while _alive(pid):
            time.sleep(1.0)
        return
    select.select([fd], [], [])  # readable once the process has ended


def _exit_with(pid: int) -> None:
    """End this worker as soon as process ``pid`` (the sweep) ends, whatever it is doing."""
    _watch(pid)
    os._exit(1)


def _init_worker(owner: int) -> None:
    """Each worker's initializer: one thread for numeric libraries, and never outlive ``owner``."""
    _single_threaded()
    _term_when_parent_dies()
    threading.Thread(target=_exit_with, args=(owner,), daemon=True, name="crmsim-exit-with-sweep").start()


def _start_method() -> str:
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


class ProcessEvaluator(Evaluator):
    """A pool of ``workers`` local processes (default: one per available core)."""

    name = "processes"

    def __init__(self, workers: int | None = None, *, start_method: str | None = None, max_restarts: int = 3) -> None:
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self._workers = workers or available_cores()
        self._context = multiprocessing.get_context(start_method or _start_method())
        self._max_restarts = max_restarts
        self._pool: ProcessPoolExecutor | None = None

    @property
    def workers(self) -> int:
        return self._workers

    def start(self) -> None:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self._workers, mp_context=self._context,
                                             initializer=_init_worker, initargs=(os.getpid(),))

    def close(self, abort: bool = False) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if not abort:
            pool.shutdown(wait=True, cancel_futures=True)
            return
        # The worker processes, before shutdown forgets them (ProcessPoolExecutor keeps them in _processes;
        # Python 3.14 adds terminate_workers() for this).
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join(5)

    def _restart(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
        self.start()

    def map_chunks(self, fn: Callable[[C], R], chunks: Iterable[C]) -> Iterator[tuple[int, R]]:
        if self._pool is None:
            raise EvaluatorError("the process pool is not started; use the evaluator in a with block")
        todo = enumerate(chunks)
        in_flight: dict[Future[Any], tuple[int, C]] = {}
        restarts = 0

        def submit(index: int, chunk: C) -> None:
            assert self._pool is not None
            in_flight[self._pool.submit(fn, chunk)] = (index, chunk)

        def fill() -> None:
            while len(in_flight) < self.window:
                item = next(todo, None)
                if item is None:
                    return
                submit(*item)

        fill()
        while in_flight:
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            finished, lost = [], []
            for future in done:
                index, chunk = in_flight.pop(future)
                if isinstance(future.exception(), BrokenProcessPool):
                    lost.append((index, chunk))
                else:
                    finished.append((index, future))
            if lost:
                restarts += 1
                if restarts > self._max_restarts:
                    raise EvaluatorError(f"worker processes died {restarts} times; giving up "
                                         f"(out of memory?); finished chunks are saved, resume later")
                lost += list(in_flight.values())
                in_flight.clear()
                self._restart()
                for index, chunk in lost:
                    submit(index, chunk)
            fill()
            for index, future in finished:
                yield index, future.result()
