"""Execution backends behind one small interface (:class:`~experiments.evaluators.base.Evaluator`).

- ``sequential``: in this process, one chunk after another;
- ``processes``: a local pool of processes sized to the cores (the default);
- ``dask``: a Dask ``LocalCluster`` or a running Dask scheduler.

A new backend is a new module with one Evaluator subclass, not a new ``if``
in the runner. ``evaluators.dask`` is not imported here only because
importing Dask takes a second, which the other backends need not pay; Dask is
a dependency like any other.
"""

from crmsim.experiments.evaluators.base import Evaluator, EvaluatorError
from crmsim.experiments.evaluators.processes import ProcessEvaluator
from crmsim.experiments.evaluators.sequential import SequentialEvaluator

__all__ = ["Evaluator", "EvaluatorError", "SequentialEvaluator", "ProcessEvaluator"]
