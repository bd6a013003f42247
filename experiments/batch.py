"""Mesa's ``batch_run`` for crmsim, counting weeks of the policy instead of weeks since the warm-up began.

Mesa counts ``max_steps`` from a model's first step. A crmsim model runs its
warm-up in its constructor (``CrmModel.__init__``), so it comes to
``batch_run`` with ``model.steps`` already at the warm-up's length (208 weeks
by default), and Mesa's ``max_steps=10`` runs no week of the policy at all:
every run returns the settled state before the policy switched on, the same
whatever the levers, without a warning. This wrapper takes ``policy_weeks``
and hands Mesa the count that gives exactly that many weeks of the policy to
every run, whatever its warm-up; given Mesa's own ``max_steps``, it refuses
one that would end a run inside its warm-up.

    >>> from crmsim.experiments.batch import batch_run
    >>> rows = batch_run(parameters={"n_citizens": 200, "warmup": 4, "faq_quality": [0.2, 0.9]},
    ...                  policy_weeks=3, rng=1, display_progress=False)
    >>> [(row["faq_quality"], row["policy_week"]) for row in rows]
    [(0.2, 3), (0.9, 3)]

Each row is Mesa's (``RunId``, ``iteration``, ``Step`` on Mesa's clock, the
run's parameters, every metric), plus ``policy_week``: the weeks of the policy
the row was recorded after (0 is the settled state before the policy).
Mesa's call sets the process's multiprocessing start method to "spawn"; it is
put back as it was when the call returns.
"""

from __future__ import annotations

import multiprocessing
from typing import Any, Iterable, Mapping

import mesa
from mesa.batchrunner import _make_model_kwargs

from crmsim.model.model import CrmModel

__all__ = ["batch_run", "warmups"]


def warmups(model_cls: type[CrmModel], parameters: Mapping[str, Any | Iterable[Any]]) -> list[tuple[int, int]]:
    """Each combination of ``parameters`` (Mesa's own expansion, in Mesa's order): its warm-up and its scenario's
    ``steps``, read from the scenario it resolves to without building a model."""
    out = []
    for kwargs in _make_model_kwargs(parameters):
        spec, _seed = model_cls.resolve(**kwargs)
        out.append((spec.warmup, spec.steps))
    return out


def batch_run(model_cls: type[CrmModel] = CrmModel, parameters: Mapping[str, Any | Iterable[Any]] | None = None, *,
              policy_weeks: int | None = None, max_steps: int | None = None, **options: Any) -> list[dict[str, Any]]:
    """:func:`mesa.batch_run` over ``parameters`` (any CrmModel keyword: a lever, ``n_citizens``, ``warmup``, a
    ``spec`` ...), each run recorded after ``policy_weeks`` weeks of its policy.

    Without ``policy_weeks``, each run goes on for its scenario's ``steps``
    weeks of the policy; with Mesa's ``max_steps`` (counted from the start of
    the warm-up, as Mesa counts), for ``max_steps - warmup`` of them, and a
    ``max_steps`` that leaves a run no week of its policy raises ValueError.
    ``options`` go to Mesa as they are (``rng``, ``number_processes``,
    ``data_collection_period``, ``display_progress``).
    """
    parameters = dict(parameters or {})
    if policy_weeks is not None and max_steps is not None:
        raise ValueError(f"batch_run: policy_weeks={policy_weeks} and max_steps={max_steps} both given; allowed: one "
                         f"of the two (policy_weeks counts weeks of the policy, max_steps Mesa's steps from the start "
                         f"of the warm-up)")
    if policy_weeks is not None:
        if isinstance(policy_weeks, bool) or not isinstance(policy_weeks, int) or policy_weeks < 1:
            raise ValueError(f"batch_run: policy_weeks={policy_weeks!r}; allowed: a whole number of at least 1")
        if "steps" in parameters:
            raise ValueError("batch_run: parameters name steps, and policy_weeks sets them; allowed: one of the two, "
                             f"e.g. policy_weeks={policy_weeks} alone")
        parameters["steps"] = policy_weeks  # a run stops (Mesa's `running`) after exactly this many policy weeks
    runs = warmups(model_cls, parameters)
    if max_steps is not None:
        warmup = max(w for w, _ in runs)
        if max_steps <= warmup:
            raise ValueError(f"batch_run: max_steps={max_steps} ends inside the warm-up ({warmup} weeks, run by the "
                             f"model's constructor: Mesa counts max_steps from its start), so no run would see its "
                             f"policy; allowed: policy_weeks=N for N weeks of the policy, or max_steps above {warmup}")
    else:  # the longest run's end: each stops on its own `steps` before it
        max_steps = max(w + s for w, s in runs)
    before = multiprocessing.get_start_method(allow_none=True)
    try:
        rows = mesa.batch_run(model_cls, parameters, max_steps=max_steps, **options)
    finally:  # Mesa sets "spawn" for the whole process on every call; later pools in this process keep their own
        multiprocessing.set_start_method(before, force=True)
    for row in rows:  # Mesa numbers the runs seed by seed, each over every combination in order
        row["policy_week"] = round(row["Step"]) - runs[row["RunId"] % len(runs)][0]
    return rows
