"""Phase 7: official pages and ties spread knowledge, ties spread trust; prescribers weigh more (paper 3).

Official pages reach each citizen in proportion to digital skill, scaled so
the population's mean reach is ``broadcast`` (``page_share``).

- **Continuous knowledge**: pages add ``page_share`` of what is missing; then
  each citizen learns ``word_of_mouth`` of the advantage their circle has over
  them, ``max(0, (W k)_i - k_i)``. Learning runs one way: nobody unlearns from
  less informed ties (obsolescence is phase 4's job). So, unlike averaging,
  ties cannot erase the skill gap by dragging the informed down, and the
  steady state keeps the gap that pages, homophily and prescribers' ties make.
- **Binary knowledge**: the uninformed become informed with the Bass hazard
  ``page_share + word_of_mouth x (share of informed neighbours)``.
- **Trust**: DeGroot averaging ``t += trust_spread (W t - t)``; a prescriber's
  trust is the mean of its clients'.

``W`` is row-normalised with prescribers weighing ``prescriber_weight``
ordinary ties (its prescriber half kept only for the citizens tied to one);
a citizen with no tie keeps their values. Knowledge and trust
share one matrix (``opinions``), so one sparse product serves both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from crmsim.model.model import CrmModel

__all__ = ["diffuse"]


def diffuse(model: "CrmModel") -> None:
    c, p = model.citizens, model.p
    k = c.knowledge
    binary = p.knowledge_model == "binary"
    if p.broadcast > 0 and not binary:
        k += model.page_share * (1.0 - k)
    weights = np.full(c.opinions.shape[1], p.trust_spread)  # one per column: knowledge, then trust
    weights[0] = 0.0 if binary else p.word_of_mouth
    informed_share = None
    if model.anyone_tied and (weights.any() or (binary and p.word_of_mouth > 0)):
        neighbours = model.from_citizens @ c.opinions
        if model.n_prescribers:
            prescribers = np.column_stack([model.prescriber_state.knowledge, model.clients_mean @ c.trust])
            neighbours[model.prescriber_rows] += model.from_prescribers @ prescribers
        neighbours = np.asfortranarray(neighbours)  # the layout of opinions, so the updates below stay contiguous
        if binary:
            informed_share = neighbours[:, 0].copy()
        neighbours -= c.opinions
        if not binary:
            np.maximum(neighbours[:, 0], 0.0, out=neighbours[:, 0])  # learn from those who know more
        neighbours *= weights
        if not model.everyone_tied:
            neighbours *= model.has_ties[:, None]
        c.opinions += neighbours
    if binary and (p.broadcast > 0 or p.word_of_mouth > 0):
        share = np.zeros_like(k) if informed_share is None else informed_share
        hazard = np.minimum(model.page_share + p.word_of_mouth * share, 1.0)
        adopt = (k < 1.0) & (model.rng.random(k.size) < hazard)
        k[adopt] = 1.0
