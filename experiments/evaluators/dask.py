"""Dask distributed: a ``LocalCluster`` on this machine, or a running scheduler.

- ``DaskEvaluator("local", workers=N)`` starts a ``LocalCluster`` of N worker
  processes (one thread each), with its scheduler and dashboard bound to
  127.0.0.1 only (Dask's default binds every interface);
- ``DaskEvaluator("tcp://HOST:PORT")`` connects to a scheduler started with
  ``dask scheduler`` (or by dask-jobqueue on a Slurm cluster). The workers must
  have crmsim installed, in the same version.

Chunks are submitted as Dask tasks (``pure=False``, with ``retries`` for
errors raised inside a task). When a worker dies, the scheduler gives its
tasks to the other workers; a chunk whose future still comes back lost
(``KilledWorker``, a closed connection, cancelled) is resubmitted up to
``resubmits`` times. An error raised by a run itself is raised here unchanged,
as the other backends do. Results travel back to this process, which alone writes
the results, so a chunk computed twice is still saved once.

Dask is optional: this module imports without it, and the evaluator says how
to install it when started.
"""

from __future__ import annotations

import secrets
import time
from concurrent.futures import CancelledError
from typing import Any, Callable, Iterable, Iterator, TypeVar

from crmsim.experiments.evaluators.base import Evaluator, EvaluatorError

try:  # optional backend
    import distributed
    from distributed.comm.core import CommClosedError
    from distributed.scheduler import KilledWorker
except ImportError:  # pragma: no cover - exercised only without dask installed
    distributed = None
    _LOST: tuple[type[BaseException], ...] = ()
else:
    # A chunk that comes back with one of these did not fail: its worker or connection did.
    _LOST = (KilledWorker, CommClosedError, ConnectionError, CancelledError)

__all__ = ["DaskEvaluator", "dask_available"]

C = TypeVar("C")
R = TypeVar("R")


# For the LocalCluster only: runs are long, pure-Python-heavy tasks, so the
# worker's statistical profiler (a stack sample every 10 ms, competing for the
# GIL) and frequent monitoring cost throughput and give little. Idle, they take
# about 4% of a core per worker; with these, under 1%. A cluster started
# elsewhere keeps its own configuration (e.g. start its workers with
# DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False).
LOCAL_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.tick.interval": "200ms",
}


def dask_available() -> bool:
    return distributed is not None


class DaskEvaluator(Evaluator):
    """Chunks as Dask tasks on a local cluster (``address="local"``) or a running scheduler."""

    name = "dask"

    def __init__(self, address: str = "local", *, workers: int | None = None, retries: int = 2, resubmits: int = 3,
                 connect_timeout: float = 20.0) -> None:
        if address != "local" and "://" not in address:
            raise ValueError(f"a Dask address is 'local' or a scheduler URL like tcp://HOST:PORT, got {address!r}")
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.address = address
        self._n_local = workers
        self.retries = retries
        self.resubmits = resubmits
        self.connect_timeout = connect_timeout
        self._cluster: Any = None
        self._client: Any = None
        self._threads = (0.0, 0)  # (when counted, how many)

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        if distributed is None:
            raise EvaluatorError("Dask is not installed; install it with: pip install 'dask[distributed]'")
        if self._client is not None:
            return
        try:
            if self.address == "local":
                from crmsim.experiments.evaluators.processes import available_cores

                import dask

                with dask.config.set(LOCAL_CONFIG):  # read when the cluster starts; not kept afterwards
                    self._cluster = distributed.LocalCluster(
                        host="127.0.0.1", dashboard_address="127.0.0.1:0",
                        n_workers=self._n_local or available_cores(), threads_per_worker=1, processes=True)
                self._client = distributed.Client(self._cluster)
            else:
                self._client = distributed.Client(self.address, timeout=self.connect_timeout)
        except (OSError, TimeoutError) as err:
            self.close()
            raise EvaluatorError(f"cannot reach the Dask scheduler at {self.address}: {err}") from None

    def close(self) -> None:
        client, cluster, self._client, self._cluster = self._client, self._cluster, None, None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    @property
    def client(self) -> Any:
        """The ``distributed.Client`` (for the dashboard link, or scaling)."""
        return self._client

    @property
    def workers(self) -> int:
        """Threads across the cluster's workers now (re-counted every few seconds)."""
        if self._client is None:
            return self._n_local or 1
        counted_at, threads = self._threads
        if time.monotonic() - counted_at > 5.0:
            threads = sum(self._client.nthreads().values())
            self._threads = (time.monotonic(), threads)
        return max(1, threads)

    def describe(self) -> str:
        where = "LocalCluster" if self.address == "local" else self.address
        link = getattr(self._client, "dashboard_link", None) if self._client is not None else None
        return f"dask {where} ({self.workers} worker threads{', dashboard ' + link if link else ''})"

    # -- work -----------------------------------------------------------------------------------
    def map_chunks(self, fn: Callable[[C], R], chunks: Iterable[C]) -> Iterator[tuple[int, R]]:
        if self._client is None:
            raise EvaluatorError("the Dask client is not started; use the evaluator in a with block")
        client, token = self._client, secrets.token_hex(4)
        todo = enumerate(chunks)
        in_flight: dict[str, tuple[int, C, int]] = {}
        finished = distributed.as_completed()

        def submit(index: int, chunk: C, attempt: int) -> None:
            key = f"crmsim-chunk-{token}-{index}-{attempt}"
            future = client.submit(fn, chunk, key=key, pure=False, retries=self.retries)
            in_flight[future.key] = (index, chunk, attempt)
            finished.add(future)

        def fill() -> None:
            while len(in_flight) < self.window:
                item = next(todo, None)
                if item is None:
                    return
                submit(*item, 0)

        fill()
        for future in finished:
            index, chunk, attempt = in_flight.pop(future.key)
            try:
                result = future.result()
            except _LOST as err:  # the worker died, or the connection dropped: run the chunk again
                if attempt >= self.resubmits:
                    raise EvaluatorError(f"chunk {index} was lost {attempt + 1} times on Dask workers "
                                         f"({type(err).__name__}: {err}); finished chunks are saved") from None
                submit(index, chunk, attempt + 1)
                continue
            future.release()
            fill()
            yield index, result
