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
"""

from __future__ import annotations

import multiprocessing
import os
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
                                             initializer=_single_threaded)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

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
