"""What the phases hand to each other within a week, the running totals, and the redress cases waiting.

``Week`` holds this week's events as index arrays (citizens, and the
administration of each need); ``Tally`` the numerators and denominators of the
metrics since the policy started; ``Cases`` the redress cases waiting to be
decided, one entry per case (a citizen may have several, at several
administrations).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

__all__ = ["Week", "Tally", "Cases", "EMPTY", "NONE_BOOL", "WEEKS_PER_YEAR", "count_into"]

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
    """Running totals since the policy started (the metrics' numerators and denominators)."""

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
    needs_by_admin: np.ndarray = field(default_factory=_ints)  # needs arisen, per administration
    gave_up_by_admin: np.ndarray = field(default_factory=_ints)  # needs given up, per administration
    # Requests priced in model.costs, by the administration that leads them:
    online_by_admin: np.ndarray = field(default_factory=_ints)  # handled online
    funded_by_admin: np.ndarray = field(default_factory=_ints)  # handled by a funded prescriber
    decided_by_admin: np.ndarray = field(default_factory=_ints)  # redress cases decided
    # Requests an institutional prescriber helped with, by the asker's skill quartile (validation patterns):
    institutional_help_by_quartile: np.ndarray = field(default_factory=lambda: np.zeros(4, np.int64))

    @classmethod
    def for_admins(cls, n_admins: int, **totals: int) -> "Tally":
        """A tally with per-administration counters for ``n_admins`` administrations."""
        return cls(**totals, **{name: np.zeros(n_admins, np.int64) for name in
                                ("needs_by_admin", "gave_up_by_admin", "online_by_admin", "funded_by_admin",
                                 "decided_by_admin")})


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
