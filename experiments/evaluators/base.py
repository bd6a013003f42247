"""The one interface every backend implements.

An evaluator is a context manager: entering starts its workers (a pool, a
cluster, a connection), leaving stops them, even after an error or Ctrl-C
(then at once, without waiting for chunks in flight: nobody would save them).
Inside, :meth:`Evaluator.map_chunks` applies a function to chunks of work and
yields ``(index, result)`` as each chunk finishes, in any order, so the
caller can save each result at once. At most :attr:`Evaluator.window` chunks
are in flight at a time: enough to keep every worker busy while the caller
writes, few enough that stopping loses little.

Examples
--------
>>> from crmsim.experiments.evaluators import SequentialEvaluator
>>> with SequentialEvaluator() as ev:
...     sorted(ev.map_chunks(abs, [-1, -2]))
[(0, 1), (1, 2)]
"""

from __future__ import annotations

import abc
from typing import Any, Callable, Iterable, Iterator, TypeVar

from crmsim.texts.i18n import _, ngettext

__all__ = ["Evaluator", "EvaluatorError"]

C = TypeVar("C")
R = TypeVar("R")


class EvaluatorError(RuntimeError):
    """A backend that cannot start or lost its workers; one line for a person."""


class Evaluator(abc.ABC):
    """Runs chunks of work somewhere; use it in a ``with`` block."""

    #: a short name for manifests and messages
    name: str = "abstract"

    def __enter__(self) -> "Evaluator":
        self.start()
        return self

    def __exit__(self, exc_type: Any, *exc_info: Any) -> None:
        self.close(abort=exc_type is not None)

    def start(self) -> None:
        """Start the workers (called by ``__enter__``)."""

    def close(self, abort: bool = False) -> None:
        """Stop the workers and drop unfinished work (called by ``__exit__``).

        With ``abort`` (the block raised, e.g. Ctrl-C or SIGTERM), stop them
        now, without waiting for the chunks they are running.
        """

    @property
    @abc.abstractmethod
    def workers(self) -> int:
        """How many chunks can run at the same time."""

    @property
    def window(self) -> int:
        """Chunks in flight at once: two per worker."""
        return max(2, 2 * self.workers)

    @abc.abstractmethod
    def map_chunks(self, fn: Callable[[C], R], chunks: Iterable[C]) -> Iterator[tuple[int, R]]:
        """Apply ``fn`` to every chunk; yield ``(index in chunks, result)`` as each finishes."""

    def describe(self) -> str:
        """One line for people: the backend and its size."""
        return ngettext("{name} ({n} worker)", "{name} ({n} workers)", self.workers).format(name=_(self.name),
                                                                                        n=self.workers)
