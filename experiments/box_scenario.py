"""A box found by ``crmsim discover``, as a scenario file placed at its centre.

A box is a region of lever values; to run it, compare it with a policy or show
it on the browser page, people need one point in it: its centre. The file is
the sweep's base scenario with every varied lever set

- for a lever the box restricts: at the centre of the box's limits;
- for a lever it leaves free: at the centre of the range the sweep drew it
  from (a value the sweep did sample around, unlike the base value, which may
  lie at the edge of the range or outside it);
- for a lever of names or true/false: the base scenario's value if the box
  allows it, else the first value it allows;

with a comment on each line saying which, and a header saying what the box
means. The text is validated as a scenario before it is returned, so it always
passes ``crmsim validate``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pandas as pd

from crmsim.experiments.discovery import Condition, Discovery, Runs, toml_text, category_text
from crmsim.model.params import PARAMS
from crmsim.model.scenario import field_path, parse_scenario

__all__ = ["box_scenario"]

_TOP = ("name", "description", "policy", "steps", "warmup", "seed")
_SECTIONS = ("population", "network", "behaviour", "levers", "costs")


def _rounded(x: float) -> float:
    """Three significant figures: a box's edges are not known any better."""
    return float(f"{x:.3g}")


def _centre(row: pd.Series, runs: Runs, base_value: Any) -> tuple[Any, str]:
    """The value a lever gets, and the comment that says why."""
    factor = runs.factor(row["lever"])
    p = [q for q in (row["qp_low"], row["qp_high"]) if pd.notna(q)]
    qp = f"; quasi-p {max(p):.2g}" if p else ""
    if isinstance(row.get("values"), list):
        allowed = [v for v in factor.values or () if category_text(v) in row["values"]]
        value = base_value if base_value in allowed else allowed[0]
        shown = ", ".join(row["values"])
        return value, (f"box: {shown} (sampled: {', '.join(row['range_values'])}){qp}" if row["restricted"]
                       else f"not restricted by the box (sampled: {shown})")
    low, high = (row["low"], row["high"]) if row["restricted"] else (row["range_low"], row["range_high"])
    middle = (low + high) / 2
    if factor.discrete:
        inside = [v for v in factor.values or () if low <= v <= high]
        value = min(inside, key=lambda v: abs(v - middle))
    else:
        value = int(round(middle)) if factor.integer else _rounded(middle)
    sampled = f"{row['range_low']:.3g} to {row['range_high']:.3g}"
    if not row["restricted"]:
        return value, f"not restricted by the box: the centre of the range sampled, {sampled}"
    return value, f"box: {low:.3g} to {high:.3g} (sampled {sampled}){qp}"


def _set(data: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        data = data.setdefault(part, {})
    data[path[-1]] = value


def _lines(table: dict[str, Any], comments: dict[str, str], prefix: str, keep: Any = None) -> list[str]:
    """``key = value`` lines of one table, a comment after each varied one; ``keep(key, value)`` filters."""
    rows = [(k, v) for k, v in table.items() if v is not None and (keep is None or keep(k, v) or
                                                                    f"{prefix}{k}" in comments)]
    width = max((len(f"{k} = {toml_text(v)}") for k, v in rows), default=0)
    return [f"{k} = {toml_text(v)}".ljust(width) + f"   # {comments[prefix + k]}" if prefix + k in comments
            else f"{k} = {toml_text(v)}" for k, v in rows]


def box_scenario(runs: Runs, discovery: Discovery, condition: Condition, base: dict[str, Any], *,
                 path: Path, label: str, base_file: str | None = None) -> str:
    """The text of the scenario file ``path``: ``base`` (the manifest's base scenario) at the chosen box's centre.

    ``label`` is the condition in words, and ``base_file`` the base scenario's file (if known), for the header.
    """
    data = copy.deepcopy(base)
    comments: dict[str, str] = {}
    for _, row in discovery.limits.iterrows():
        keys = field_path(runs.paths[row["lever"]])
        current = data
        for part in keys[:-1]:
            current = current.get(part, {})
        value, why = _centre(row, runs, current.get(keys[-1]))
        _set(data, keys, value)
        comments[".".join(keys)] = why
    box = discovery.box
    method = discovery.method.upper()
    data["name"] = "discovery_box"
    data["description"] = f"The centre of the box {method} found for {condition.text} in {path.parent}/"
    parse_scenario(data, "<box>")  # a box inside the sweep's ranges is a valid scenario; this says so
    lines = [
        f"# A box found by crmsim discover ({method}) in {path.parent}/",
        "# " + "=" * 60,
        f"# Condition: {condition.text}  ({label})",
        f"# In the box, {box['density']:.0%} of the runs meet the condition (its density); the box holds "
        f"{box['coverage']:.0%}",
        f"# of all the runs that meet it (its coverage): {box['runs']:,} of {discovery.runs:,} runs are in the box.",
        "# Every varied lever is at the centre of the box: a lever the box restricts at the centre of its",
        "# limits, the others at the centre of the range the sweep drew them from. The rest is the",
        "# sweep's base scenario.",
        "#",
        "# Run it, or set it beside the sweep's base scenario:",
        f"#     crmsim run {path}",
        f"#     crmsim compare {base_file or 'BASE.toml'} {path}",
        "",
    ]
    lines += _lines({k: data[k] for k in _TOP if k in data}, comments, "")
    for section in _SECTIONS:
        body = _lines(data.get(section, {}), comments, f"{section}.",
                      keep=lambda k, v, s=section: s == "levers" or v != PARAMS[k].default)
        if body:
            lines += ["", f"[{section}]", *body]
    for table in ("administrations", "life_events"):
        for key, fields in data.get(table, {}).items():
            body = _lines(fields, comments, f"{table}.{key}.")
            if body:
                lines += ["", f"[{table}.{key}]", *body]
    return "\n".join(lines) + "\n"
