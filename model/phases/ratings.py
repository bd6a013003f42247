"""Ratings and reviews (paper 3): citizens rate what they got; published scores steer, set expectations and speak.

E-commerce's defining device, tried on administrations a citizen cannot
leave. Nothing here runs, and nothing is drawn, while the ``ratings`` lever is
0 (the baseline), so the calibrated baseline is untouched. Above 0:

- **who rates** (:func:`rate_services`, after resolution): after each need
  handled a citizen rates the administration and channel with probability
  ``rate_after_met``, or the larger ``rate_after_failure`` (the
  dissatisfied speak more: Anderson 1998), times
  ``1 + rating_skill_gradient (skill - 1/2)`` (the participation divide:
  Hargittai and Walejko 2008). A request abandoned in the counter queue counts
  as a failure: the citizen tried. The rating is the outcome (1 or 0),
  reversed with probability ``rating_noise``. So the score is not the success
  rate: :func:`expected_score` gives what it should show.
- **published scores** (:class:`RatingBoard`): per administration and channel
  (online with its help devices, prescriber, counter), a mean and a count over
  a rolling window (``rating_memory`` a week). A prescriber's own opinion of
  an administration (the outcomes of the needs they helped with, without
  noise) is a review their clients read with weight
  ``prescriber_review_weight`` against the public score.
- **who reads** (:func:`read_scores`, before the choice of channel): a
  citizen acting this week reads the scores with probability
  ``ratings x (1 + rating_read_skill_gradient (skill - 1/2))``, kept within 0
  and ``ratings`` (at a gradient of 10, no one below a skill of 0.4 reads); a citizen tied
  to a prescriber with an opinion hears it with probability ``ratings``,
  whatever their skill (prescribers carry opinions to those who do not read).
- **what a score changes**: *expectations*: a reader's trust in the
  administration closes ``rating_trust_weight`` of its gap to what they read,
  before acting, so a bad score makes giving up likelier and a good experience
  after it raises trust more (expectation-confirmation, phase 6); *channel
  choice*, in the second stage only: each channel gains
  ``rating_choice_weight`` log-odds per unit of its score above the
  administration's overall score; *voice*: each bad rating published (times
  ``ratings``) counts as a collected complaint, which only a responsive
  administration acts on (phase 8); *inequality* follows from who reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from crmsim.model.agents import Channel

if TYPE_CHECKING:
    from crmsim.model.model import CrmModel

__all__ = ["GROUPS", "RatingBoard", "rate_services", "read_scores", "expected_score"]

GROUPS = ("online", "prescriber", "counter")  # the channels a score is shown for, in choose_channels' order
_GROUP = np.full(len(Channel.NAMES), -1, dtype=np.int64)
_GROUP[list(Channel.ONLINE_KINDS)] = 0
_GROUP[Channel.PRESCRIBER] = 1
_GROUP[Channel.COUNTER] = 2


def expected_score(success: float, rate_good: float, rate_bad: float, noise: float) -> float:
    """The mean rating that raters who rate a success at ``rate_good`` and a failure at ``rate_bad`` publish.

    >>> round(expected_score(0.8, 0.04, 0.1, 0.0), 3)  # the disappointed rate more: 0.8 shows as 0.615
    0.615
    """
    raters_good, raters_bad = success * rate_good, (1 - success) * rate_bad
    return (raters_good * (1 - noise) + raters_bad * noise) / (raters_good + raters_bad)


@dataclass
class RatingBoard:
    """The published scores (rolling sums per administration x channel group) and prescribers' opinions.

    ``handled`` and ``met`` count every need over the same window, rated or
    not: the success rate the score stands for, kept to measure its bias.
    """

    total: np.ndarray  # administrations x GROUPS: rolling sum of ratings (1 good, 0 bad)
    count: np.ndarray  # administrations x GROUPS: rolling number of ratings
    handled: np.ndarray  # administrations x GROUPS: rolling number of needs handled
    met: np.ndarray  # administrations x GROUPS: rolling number of needs met
    opinion_total: np.ndarray  # prescribers x administrations: needs met among those they helped with
    opinion_count: np.ndarray  # prescribers x administrations: needs they helped with
    low: np.ndarray  # administrations: bad ratings published this week

    @classmethod
    def empty(cls, n_admins: int, n_prescribers: int) -> "RatingBoard":
        grid = lambda: np.zeros((n_admins, len(GROUPS)))  # noqa: E731
        return cls(grid(), grid(), grid(), grid(), np.zeros((n_prescribers, n_admins)),
                   np.zeros((n_prescribers, n_admins)), np.zeros(n_admins))

    def scores(self) -> np.ndarray:
        """Mean rating per administration and channel group; NaN where no one has rated."""
        return _mean(self.total, self.count)

    def overall(self) -> np.ndarray:
        """Mean rating per administration over its channels; NaN where no one has rated."""
        return _mean(self.total.sum(axis=1), self.count.sum(axis=1))

    def true_success(self) -> np.ndarray:
        """Success rate per administration and channel group over the same window, rated or not."""
        return _mean(self.met, self.handled)


def _by_skill(gradient: float, skill: np.ndarray) -> np.ndarray:
    """``1 + gradient (skill - 1/2)``: how much more than the median citizen a citizen rates or reads.

    Centred on the middle of the skill scale, as every skill effect of the model is
    (``file_log_odds``, ``choose_channels``), so a gradient tilts without changing the mean much.
    """
    return 1.0 + gradient * (skill - 0.5)


def _mean(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    return np.divide(total, count, out=np.full(np.shape(total), np.nan), where=count > 0)


def rate_services(model: "CrmModel") -> None:
    """After resolution: this week's handled needs and queue abandonments are rated; the board rolls on."""
    p = model.p
    if p.ratings <= 0:
        return
    board, week, c, rng = model.ratings_board, model.week, model.citizens, model.rng
    for rolling in (board.total, board.count, board.handled, board.met, board.opinion_total, board.opinion_count):
        rolling *= p.rating_memory
    n_admins = board.low.size
    who = np.concatenate([week.need_who, week.abandoned])
    admin = np.concatenate([week.need_admin, week.abandoned_admin])
    group = np.concatenate([_GROUP[week.need_channel], np.full(week.abandoned.size, 2)])
    good = np.concatenate([week.need_success, np.zeros(week.abandoned.size, dtype=bool)])
    cell = admin * len(GROUPS) + group
    size = n_admins * len(GROUPS)
    board.handled += np.bincount(cell, minlength=size).reshape(board.handled.shape)
    board.met += np.bincount(cell[good], minlength=size).reshape(board.met.shape)

    chance = np.where(good, p.rate_after_met, p.rate_after_failure) * _by_skill(p.rating_skill_gradient, c.skill[who])
    rates = rng.random(who.size) < chance
    c.raised[who[rates], admin[rates]] = model.steps  # a rating published is something raised
    rating = good[rates] ^ (rng.random(int(rates.sum())) < p.rating_noise)
    board.total += np.bincount(cell[rates], weights=rating, minlength=size).reshape(board.total.shape)
    board.count += np.bincount(cell[rates], minlength=size).reshape(board.count.shape)
    board.low = np.bincount(admin[rates][~rating], minlength=n_admins).astype(np.float64)

    helped = week.need_channel == Channel.PRESCRIBER  # those a prescriber could not take went online
    if helped.any():
        prescriber = c.helper[week.need_who[helped]] - model.n_citizens
        pair = prescriber * n_admins + week.need_admin[helped]
        shape = board.opinion_count.shape
        board.opinion_count += np.bincount(pair, minlength=board.opinion_count.size).reshape(shape)
        board.opinion_total += np.bincount(pair[week.need_success[helped]],
                                           minlength=board.opinion_count.size).reshape(shape)


def read_scores(model: "CrmModel", who: np.ndarray, lead: np.ndarray) -> np.ndarray | None:
    """Before the choice: readers' trust moves toward what they read; returns each channel's shift in utility.

    The shift (citizens x GROUPS, log-odds) is for the second stage of the
    choice only; None while there are no ratings.
    """
    p = model.p
    if p.ratings <= 0:
        return None
    board, c, rng = model.ratings_board, model.citizens, model.rng
    reads = (rng.random(who.size) < p.ratings * np.clip(_by_skill(p.rating_read_skill_gradient, c.skill[who]), 0, 1)) \
        & ~c.offline[who]  # scores are read online
    overall = board.overall()[lead]
    public = np.where(reads, overall, np.nan)
    opinion = np.full(who.size, np.nan)
    tied = np.flatnonzero(c.helper[who] >= 0)
    if tied.size:
        prescriber, admin = c.helper[who[tied]] - model.n_citizens, lead[tied]
        own = _mean(board.opinion_total[prescriber, admin], board.opinion_count[prescriber, admin])
        opinion[tied] = np.where(rng.random(tied.size) < p.ratings, own, np.nan)
    weight = p.prescriber_review_weight
    view = np.where(np.isnan(opinion), public,
                    np.where(np.isnan(public), opinion, (1 - weight) * public + weight * opinion))
    informed = ~np.isnan(view)
    if informed.any():
        rows, cols = who[informed], lead[informed]
        c.trust[rows, cols] += p.rating_trust_weight * (view[informed] - c.trust[rows, cols])
    above = board.scores()[lead] - overall[:, None]
    return np.where(reads[:, None] & ~np.isnan(above), p.rating_choice_weight * above, 0.0)
