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

Dask (``dask[distributed]``) is a dependency of crmsim, like numpy: it is the
cluster engine, and this module imports it at the top.

A LocalCluster's processes never outlive the sweep: Dask's nanny and worker
processes each watch their parent and exit when it dies, even by SIGKILL.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from concurrent.futures import CancelledError
from typing import Any, Callable, Iterable, Iterator, TypeVar

import distributed
from distributed.comm.core import CommClosedError
from distributed.scheduler import KilledWorker

from crmsim.experiments.evaluators.base import Evaluator, EvaluatorError
from crmsim.texts.i18n import _

__all__ = ["DaskEvaluator", "address_problem", "SCHEMES"]

# A chunk that comes back with one of these did not fail: its worker or connection did.
_LOST = (KilledWorker, CommClosedError, ConnectionError, CancelledError)

# Schemes of a scheduler's address that Dask's clients connect through (not inproc://: same process only).
SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
_ADDRESS = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<host>\[[0-9A-Fa-f:.]+\]|[^\s/:\[\]]+)"
                      r":(?P<port>[0-9]{1,5})$")

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


def address_problem(address: str) -> str | None:
    """Why ``address`` is not 'local' or a scheduler address Dask can connect to, or None.

    >>> address_problem("tcp://10.0.0.5:8786") is None and address_problem("local") is None
    True
    >>> address_problem("http://10.0.0.5:8786").split("; ")[0]
    "got 'http://10.0.0.5:8786'"
    """
    if address == "local":
        return None
    match = _ADDRESS.match(address)
    if match and match["scheme"] in SCHEMES and 0 < int(match["port"]) < 65536:
        return None
    return (f"got {address!r}; allowed: local, or a scheduler address SCHEME://HOST:PORT with SCHEME "
            f"{', '.join(SCHEMES[:-1])} or {SCHEMES[-1]} (e.g. tcp://10.0.0.5:8786)")


class DaskEvaluator(Evaluator):
    """Chunks as Dask tasks on a local cluster (``address="local"``) or a running scheduler."""

    name = "dask"

    def __init__(self, address: str = "local", *, workers: int | None = None, retries: int = 2, resubmits: int = 3,
                 connect_timeout: float = 20.0) -> None:
        problem = address_problem(address)
        if problem is not None:
            raise ValueError(f"Dask address: {problem}")
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
        if self._client is not None:
            return
        try:
            if self.address == "local":
                from crmsim.experiments.evaluators.processes import available_cores

                import dask

                with dask.config.set(LOCAL_CONFIG):  # read when the cluster starts; not kept afterwards
                    self._cluster = distributed.LocalCluster(
                        host="127.0.0.1", dashboard_address="127.0.0.1:0",
                        n_workers=self._n_local or available_cores(), threads_per_worker=1, processes=True,
                        # Cancelled tasks and workers stopped at close are expected, not news: only errors show.
                        silence_logs=logging.ERROR)
                self._client = distributed.Client(self._cluster)
            else:
                self._client = distributed.Client(self.address, timeout=self.connect_timeout)
        except (OSError, TimeoutError) as err:
            self.close()
            raise EvaluatorError(f"cannot reach the Dask scheduler at {self.address}: {err}") from None
        except (ValueError, ImportError) as err:  # e.g. ucx:// without its package
            self.close()
            raise EvaluatorError(f"cannot connect to the Dask scheduler at {self.address}: {err}") from None
        except BaseException:  # Ctrl-C or SIGTERM while starting: no half-started cluster left behind
            self.close(abort=True)
            raise

    def close(self, abort: bool = False) -> None:
        """Close the client (its unfinished tasks are released) and a LocalCluster's processes."""
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
        if link:
            return _("dask {where} ({n} worker threads, dashboard {link})").format(where=where, n=self.workers,
                                                                                  link=link)
        return _("dask {where} ({n} worker threads)").format(where=where, n=self.workers)

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
