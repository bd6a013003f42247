"""The eight phases of one step (one week), in the order of the paper, one module each.

Each phase is a function of the model that works on whole arrays (or on the
subset of citizens concerned this week): no Python loop over citizens. What a
phase hands to the next is kept in ``model.week`` (:class:`Week`); running
counts for the metrics in ``model.tally`` (:class:`Tally`, this week's; the
model's :class:`YearLedger` keeps the last 52 weeks of them); redress cases
waiting in ``model.cases`` (:class:`Cases`).

1. :func:`arise_needs` (``needs``): routine needs and life events; take-up;
2. :func:`choose_channels` (``channels``): act or give up, then which channel;
3. :func:`resolve_requests` (``resolution``): queues, then success or failure;
   then, with ratings on, :func:`rate_services` (``ratings``) rates them;
4. :func:`deliberate` (``learning``): obsolescence, contacts, help devices;
5. :func:`seek_redress` (``redress``): contest or lose; cases heard or lapsed;
6. :func:`update_trust` (``trust``): memory, experience, procedure, publication;
7. :func:`diffuse` (``diffusion``): pages and ties;
8. :func:`collect_voice_and_adapt` (``voice``): complaints, polls, fixes.

Functional forms and their sources are in each module's docstring and in
docs/ODD.md, section 7.
"""

from crmsim.model.phases.channels import choose_channels
from crmsim.model.phases.diffusion import diffuse
from crmsim.model.phases.learning import deliberate
from crmsim.model.phases.needs import arise_needs
from crmsim.model.phases.queues import logistic
from crmsim.model.phases.ratings import RatingBoard, rate_services
from crmsim.model.phases.redress import knows_redress, seek_redress
from crmsim.model.phases.resolution import resolve_requests
from crmsim.model.phases.state import Cases, Tally, Week, YearLedger
from crmsim.model.phases.trust import update_trust
from crmsim.model.phases.voice import collect_voice_and_adapt

__all__ = [
    "Week",
    "Tally",
    "YearLedger",
    "Cases",
    "arise_needs",
    "choose_channels",
    "resolve_requests",
    "rate_services",
    "RatingBoard",
    "deliberate",
    "seek_redress",
    "update_trust",
    "diffuse",
    "collect_voice_and_adapt",
    "knows_redress",
    "logistic",
]
