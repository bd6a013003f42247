"""What the phases hand to each other within a week, the running totals, and the redress cases waiting.

``Week`` holds this week's events as index arrays (citizens, and the
administration of each need); ``Tally`` what the week counted (the metrics'
numerators and denominators) and ``YearLedger`` the last 52 weeks of them;
``Cases`` the redress cases waiting to be decided, one entry per case (a
citizen may have several, at several administrations).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

__all__ = ["Week", "Tally", "YearLedger", "Cases", "EMPTY", "NONE_BOOL", "WEEKS_PER_YEAR", "WINDOW", "count_into"]

EMPTY = np.empty(0, dtype=np.int64)
NONE_BOOL = np.empty(0, dtype=bool)
WEEKS_PER_YEAR = 52  # a unit, not a parameter: yearly rates and ages are converted with it


def count_into(counter: np.ndarray, who: np.ndarray) -> None:
    """Add one to ``counter[i]`` for each occurrence of ``i`` in ``who`` (repeats count; faster than ``np.add.at``).

    >>> c = np.zeros(4, dtype=np.int32); count_into(c, np.array([2, 0, 2])); c.tolist()
    [1, 0, 2, 0]
    """
    index, times = np.unique(who, return_counts=True)
    counter[index] += times.astype(counter.dtype)


def _ints() -> np.ndarray:
    return EMPTY


def _bools() -> np.ndarray:
    return NONE_BOOL


@dataclass
class Week:
    """What happened this week, handed from phase to phase.

    A *request* is one contact (``served``: citizens, one each); a *need* is one
    administration's matter within it (``need_*``: aligned arrays, several per
    citizen at a single front office).
    """

    new: np.ndarray = field(default_factory=_ints)  # citizens who took up a request this week
    cannot_go_online: np.ndarray = field(default_factory=_ints)  # of those, offline or their procedure is not online
    served: np.ndarray = field(default_factory=_ints)  # citizens whose request was handled
    served_channel: np.ndarray = field(default_factory=_ints)  # aligned with served
    need_who: np.ndarray = field(default_factory=_ints)  # needs handled: citizen ...
    need_admin: np.ndarray = field(default_factory=_ints)  # ... administration ...
    need_channel: np.ndarray = field(default_factory=_ints)  # ... channel ...
    need_success: np.ndarray = field(default_factory=_bools)  # ... and outcome
    failed: np.ndarray = field(default_factory=_ints)  # needs that failed: citizen ...
    failed_admin: np.ndarray = field(default_factory=_ints)
    failed_merit: np.ndarray = field(default_factory=_bools)  # the administration was at fault
    failed_helped: np.ndarray = field(default_factory=_bools)  # a prescriber helps with redress
    failed_event: np.ndarray = field(default_factory=_bools)  # the need came from a life event
    gave_up: np.ndarray = field(default_factory=_ints)  # needs given up: citizen ...
    gave_up_admin: np.ndarray = field(default_factory=_ints)
    abandoned: np.ndarray = field(default_factory=_ints)  # left the counter queue out of patience: citizen ...
    abandoned_admin: np.ndarray = field(default_factory=_ints)  # ... and the administration leading the request
    lost: np.ndarray = field(default_factory=_ints)  # failed needs with no redress try
    lost_admin: np.ndarray = field(default_factory=_ints)
    decided: np.ndarray = field(default_factory=_ints)  # redress cases decided: citizen ...
    decided_admin: np.ndarray = field(default_factory=_ints)
    decided_won: np.ndarray = field(default_factory=_bools)
    decided_merit: np.ndarray = field(default_factory=_bools)
    decided_helped: np.ndarray = field(default_factory=_bools)
    decided_evidence: np.ndarray = field(default_factory=lambda: np.empty(0))  # knowledge brought to the review
    lapsed: np.ndarray = field(default_factory=_ints)  # redress cases past the deadline, undecided
    lapsed_admin: np.ndarray = field(default_factory=_ints)
    voiced: np.ndarray = field(default_factory=_ints)  # citizens whose voice was collected ...
    voiced_admin: np.ndarray = field(default_factory=_ints)  # ... about this administration


@dataclass
class Tally:
    """What one week counted (the metrics' numerators and denominators), or, summed, what a year counted.

    The phases add to ``model.tally``, this week's; at the end of the week the
    model files it in its :class:`YearLedger`, whose :meth:`YearLedger.year`
    sums the last 52 weeks: every rate metric reads that sum, so rates are
    yearly (as surveys ask "in the last 12 months") and run on continuously
    through the warm-up and across a policy switch, never restarting.
    """

    needs: int = 0
    met: int = 0
    gave_up: int = 0
    failures: int = 0
    lost: int = 0
    redress_tries: int = 0
    redress_wins: int = 0
    redress_decided: int = 0
    redress_lapsed: int = 0
    staff_contacts: int = 0
    contacts: int = 0
    online_contacts: int = 0
    event_needs: int = 0
    event_met: int = 0
    bottom_needs: int = 0  # needs arisen among the bottom quartile of digital skill
    bottom_gave_up: int = 0
    offline_needs: int = 0  # needs arisen among citizens who never go online
    offline_gave_up: int = 0
    needs_by_admin: np.ndarray = field(default_factory=_ints)  # needs arisen, per administration
    gave_up_by_admin: np.ndarray = field(default_factory=_ints)  # needs given up, per administration
    # Requests priced in model.costs, by the administration that leads them:
    online_by_admin: np.ndarray = field(default_factory=_ints)  # handled online
    funded_by_admin: np.ndarray = field(default_factory=_ints)  # handled by a funded prescriber
    decided_by_admin: np.ndarray = field(default_factory=_ints)  # redress cases decided
    fixes_by_admin: np.ndarray = field(default_factory=_ints)  # fixes made
    # Who gains and who loses, by quartile of digital skill (least skilled first):
    needs_by_quartile: np.ndarray = field(default_factory=lambda: np.zeros(4, np.int64))
    met_by_quartile: np.ndarray = field(default_factory=lambda: np.zeros(4, np.int64))
    hours_by_quartile: np.ndarray = field(default_factory=lambda: np.zeros(4))  # citizens' own hours on requests
    # Requests an institutional prescriber helped with, by the asker's skill quartile (validation patterns):
    institutional_help_by_quartile: np.ndarray = field(default_factory=lambda: np.zeros(4, np.int64))
    # Public euros spent, by cost item (model.costs.ITEMS) and administration; the last column is what
    # serves every administration (help and voice devices). Filled when the week is closed.
    euros: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    @classmethod
    def for_admins(cls, n_admins: int, n_items: int = 0, **totals: int) -> "Tally":
        """A tally with per-administration counters for ``n_admins`` administrations (and ``n_items`` cost items)."""
        return cls(**totals, **{name: np.zeros(n_admins, np.int64) for name in
                                ("needs_by_admin", "gave_up_by_admin", "online_by_admin", "funded_by_admin",
                                 "decided_by_admin", "fixes_by_admin")},
                   euros=np.zeros((n_items, n_admins + 1)))


WINDOW = WEEKS_PER_YEAR  # the weeks a yearly rate covers


class YearLedger:
    """The last :data:`WINDOW` weeks' tallies, a ring filled one week at a time from the model's first week.

    :meth:`year` is their sum: what the last 52 weeks counted (fewer, early in
    a run with a short warm-up: :attr:`weeks` says how many).

    >>> ledger = YearLedger(Tally.for_admins(2))
    >>> for week in range(60):
    ...     ledger.close(Tally.for_admins(2, needs=1, met=week % 2))
    >>> ledger.weeks, ledger.year().needs, ledger.year().met
    (52, 52, 26)
    """

    def __init__(self, template: Tally) -> None:
        self._names = [f.name for f in fields(Tally)]
        self._ring = {name: np.zeros((WINDOW, *np.shape(getattr(template, name))),
                                     dtype=np.asarray(getattr(template, name)).dtype) for name in self._names}
        self.closed = 0  # weeks filed since the model was built
        self._year: Tally | None = None

    @property
    def weeks(self) -> int:
        """How many weeks :meth:`year` covers: 52 once a year has passed."""
        return min(self.closed, WINDOW)

    def close(self, week: Tally) -> None:
        """File one finished week, in place of the week a year before it."""
        slot = self.closed % WINDOW
        for name in self._names:
            self._ring[name][slot] = getattr(week, name)
        self.closed += 1
        self._year = None

    def year(self) -> Tally:
        """The sum of the last :attr:`weeks` weeks (computed once per week)."""
        if self._year is None:
            sums = {name: ring.sum(axis=0) for name, ring in self._ring.items()}
            self._year = Tally(**{name: (int(v) if np.ndim(v) == 0 and v.dtype.kind == "i" else
                                         float(v) if np.ndim(v) == 0 else v) for name, v in sums.items()})
        return self._year


@dataclass
class Cases:
    """Redress cases waiting for a decision: one entry per case, in filing order."""

    citizen: np.ndarray = field(default_factory=_ints)
    admin: np.ndarray = field(default_factory=_ints)
    since: np.ndarray = field(default_factory=_ints)  # step the case was filed
    merit: np.ndarray = field(default_factory=_bools)  # the administration was at fault
    helped: np.ndarray = field(default_factory=_bools)  # a prescriber helps the citizen argue it
    event: np.ndarray = field(default_factory=_bools)  # the need came from a life event

    def __len__(self) -> int:
        return self.citizen.size

    def add(self, **columns: np.ndarray) -> None:
        """Append new cases (one array per field, aligned)."""
        for f in fields(self):
            setattr(self, f.name, np.concatenate([getattr(self, f.name), columns[f.name]]))

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the cases where ``mask`` is true (the others were decided or lapsed)."""
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name)[mask])
