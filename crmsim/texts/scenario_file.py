"""A scenario written out as a file a person edits: every lever spelled out, with its meaning and allowed values.

``crmsim new-scenario`` writes it for a workshop, and each point of an
efficiency frontier is saved as one (``experiments.frontier_points``), so the
text lives here, beside the labels it reads, for the command line and the
engine alike. Comments are in the current language (:mod:`crmsim.texts.i18n`);
the values are the scenario's own, so the file runs exactly like it.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

from crmsim.model.params import PARAMS
from crmsim.model.scenario import Scenario
from crmsim.model.text import one_line
from crmsim.texts.i18n import _
from crmsim.texts.labels import LEVER_GROUPS, colon, lever_label, param_help

__all__ = ["scenario_text"]


def _toml(value: Any) -> str:
    """A value as TOML writes it (strings as JSON does: the same escapes)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)


def _comment(text: str, indent: str = "") -> list[str]:
    return [f"{indent}# {line}" for line in textwrap.wrap(one_line(text), 96)]


def _section(scenario: Scenario, section: str, target: Path) -> list[str]:
    """The values of a section that the base file sets or that differ from the default, each with its meaning."""
    model = getattr(scenario, section)
    lines = []
    for name, value in model.model_dump().items():
        param = PARAMS[name]
        if name not in model.model_fields_set and value == param.default:
            continue
        if name == "network_file" and value:  # resolved beside the base file; written relative to the copy
            value = os.path.relpath(value, target.parent.resolve())
        lines += _comment(param_help(name)) + [f"{name} = {_toml(value)}"]
    return [f"[{section}]", *lines, ""] if lines else []


def scenario_text(base: Scenario, base_source: str, name: str, target: Path) -> str:
    """The commented copy of ``base`` that ``new-scenario`` writes at ``target``."""
    shown = target.as_posix()
    values = base.flat()
    policy = " + ".join(base.policies)
    title = _("{name}: a copy of {base} to edit").format(name=name, base=base_source)
    lines = [f"# {title}", "# " + "=" * len(title)]
    lines += _comment(_("Written by crmsim new-scenario from {base}; as written, it runs exactly like that file "
                        "(the same seed gives the same people and the same results).").format(base=base_source))
    lines += ["#"] + _comment(_("How to edit: change a number after \"=\" and keep the rest; lines starting with "
                                "# are comments."))
    lines += [f"#   {_('Check it:')} crmsim validate {shown}", f"#   {_('Read it:')} crmsim explain {shown}",
              f"#   {_('Compare it:')} crmsim compare {base_source} {shown}", ""]
    lines += [f"name = {_toml(name)}",
              f"description = {_toml(base.description or _('A copy of {base}').format(base=base_source))}",
              f"policy = {_toml(base.policy)}   # " + _("the mediation policy (list them with: crmsim policies)"),
              f"steps = {base.steps}   # " + _("weeks recorded once the policy is on"),
              f"warmup = {base.warmup}   # " + _("weeks under the baseline before that"),
              f"seed = {base.seed}   # " + _("random seed: the same seed gives the same people"), ""]
    for section in ("population", "network", "behaviour"):
        lines += _section(base, section, target)
    lines += _comment(_("Every lever, at the value policy {policy} gives it. A value written here wins over the "
                        "policy, so edit the numbers here.").format(policy=policy))
    lines.append("[levers]")
    for group, levers in LEVER_GROUPS.items():
        lines += ["", f"# --- {_(group)} ---"]
        for lever in levers:
            param = PARAMS[lever]
            meaning = param_help(lever)  # led by the label unless the meaning already starts with it
            named = meaning.lower().startswith(lever_label(lever).lower())
            lines += _comment(meaning if named else colon(lever_label(lever), meaning))
            lines += _comment(_("Allowed: {allowed}; baseline {default}.").format(
                allowed=_(param.allowed()), default=_toml(param.default)))
            lines.append(f"{lever} = {_toml(values[lever])}")
    for table, overrides in (("administrations", base.administrations), ("life_events", base.life_events)):
        for key, override in overrides.items():
            fields = override.model_dump(exclude_none=True)
            if fields:
                lines += ["", f"[{table}.{key}]", *(f"{field} = {_toml(v)}" for field, v in fields.items())]
    return "\n".join(lines) + "\n"
