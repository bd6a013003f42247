"""Run every chunk in this process, one after another: simple, and easy to debug."""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, TypeVar

from crmsim.experiments.evaluators.base import Evaluator

__all__ = ["SequentialEvaluator"]

C = TypeVar("C")
R = TypeVar("R")


class SequentialEvaluator(Evaluator):
    """No workers: ``fn(chunk)`` here, in order."""

    name = "sequential"

    @property
    def workers(self) -> int:
        return 1

    def map_chunks(self, fn: Callable[[C], R], chunks: Iterable[C]) -> Iterator[tuple[int, R]]:
        for index, chunk in enumerate(chunks):
            yield index, fn(chunk)
