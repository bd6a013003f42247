r"""A metric's level and a difference in the unit a person reads, in the current language.

A share is read in percent and a difference of shares in percentage points
("25.9%", "−6.5 pts"), euros with their sign ("€68", "+€2.20"), a score or a
Gini as it is ("0.62", "+0.030"). The unit comes from the metric's own entry
in :data:`crmsim.model.metrics.INFO`, so a new metric reads right by its unit.
Charts use :func:`scale` to draw shares in points too, so a table and the
chart beside it say the same number.

>>> from crmsim.texts.i18n import language
>>> level_text("non_take_up", 0.259), difference_text("non_take_up", -0.065), difference_text("trust_mean", 0.03)
('25.9%', '−6.5 pts', '+0.030')
>>> with language("fr"):
...     level_text("public_cost_per_citizen", 310.4), difference_text("public_cost_per_citizen", 2.2)
('310\xa0€', '+2,20\xa0€')
"""

from __future__ import annotations

import math

from crmsim.experiments.cost_effectiveness import euros
from crmsim.texts.i18n import _, difference, number, percent
from crmsim.texts.labels import metric_unit
from crmsim.model.metrics import INFO

__all__ = ["is_share", "is_cost", "scale", "unit_line", "chart_unit", "euro_text", "level_text", "quantity",
           "difference_text", "MINUS"]

MINUS = "\u2212"  # a true minus sign: as wide as the plus, and never mistaken for a hyphen


def is_share(metric: str) -> bool:
    """Whether the metric is a share (read in percent, its differences in points)."""
    return metric in INFO and INFO[metric].unit.startswith("share of")


def is_cost(metric: str) -> bool:
    """Whether the metric is public money: a price, shown without a verdict."""
    return metric in INFO and INFO[metric].unit.startswith("euros")


def scale(metric: str) -> float:
    """What a chart multiplies the metric by: 100 for a share (percent, points), else 1."""
    return 100.0 if is_share(metric) else 1.0


def unit_line(metric: str) -> str:
    """The unit a table's column shows its differences in: 'share of needs, in points', 'score 0-1'."""
    unit = metric_unit(metric)
    return _("{unit}, in points").format(unit=unit) if is_share(metric) else unit


def chart_unit(metric: str) -> str:
    """The unit of a chart's axis for the metric's level: '% of needs' for a share, else the metric's unit."""
    return _("% ({unit})").format(unit=metric_unit(metric)) if is_share(metric) else metric_unit(metric)


def _signed(value: float, text: str) -> str:
    return f"{MINUS}{text}" if value < 0 else text


def euro_text(value: float) -> str:
    """Euros with the currency sign where the language puts it: '€68' / '68 €' (cents below 10 euros)."""
    return _signed(value, _("€{value}").format(value=euros(abs(value))))


def level_text(metric: str, value: float) -> str:
    """A level: '25.9%', '€310', '0.62'; '–' if undefined."""
    if not math.isfinite(value):
        return "–"
    if is_share(metric):
        return percent(value, 1)
    if is_cost(metric):
        return euro_text(value)
    return number(value, 2)


def quantity(metric: str, value: float) -> str:
    """A difference's size with its unit and no plus sign: '6.5 pts', '−0.2 pts', '€68', '0.030'."""
    if not math.isfinite(value):
        return "–"
    if is_share(metric):
        points = abs(value) * 100
        return _signed(value, _("{value} pts").format(value=number(points, 1 if points >= 0.05 or points == 0 else 2)))
    if is_cost(metric):
        return euro_text(value)
    return _signed(value, difference(abs(value)))


def difference_text(metric: str, value: float) -> str:
    """A signed difference: '−6.5 pts', '+€68', '+0.030' (a plus for a rise, a true minus for a fall)."""
    text = quantity(metric, value)
    return f"+{text}" if math.isfinite(value) and value >= 0 else text
