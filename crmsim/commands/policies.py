"""``crmsim policies``: every mediation policy, what it does, where it comes from, and the levers it sets."""

from __future__ import annotations

import argparse
from typing import Any

from crmsim.texts import exits
from crmsim.texts.i18n import _
from crmsim.texts.labels import lever_label

__all__ = ["register", "policies"]

_POLICIES_DESCRIPTION = """\
List every mediation policy: what it does, the paper section it comes from,
and the levers it sets (a composite lists the policies it combines and the
levers that result). Use the name as `policy = "..."` in a scenario file.

example:
  crmsim policies
"""


def register(subparsers: Any) -> None:
    """Add ``policies`` to an argparse subparsers object."""
    p = subparsers.add_parser(
        "policies", help="list the mediation policies and their levers (crmsim policies)",
        description=_POLICIES_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(handler=policies)


def _toml_value(value: Any) -> str:
    """A lever value as it is written in a scenario file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value) if isinstance(value, float) else str(value)


def _set_levers(name: str) -> list[str]:
    """The levers a policy sets, its included policies' first, in table order."""
    from crmsim.model.policies import POLICIES

    policy = POLICIES[name]
    names: list[str] = []
    for inc in policy.includes:
        names += [lever for lever in _set_levers(inc) if lever not in names]
    names += [lever for lever in policy.levers if lever not in names]
    return names


def policies(args: argparse.Namespace) -> int:
    """Handler of ``policies``: one block per policy, in the table's order."""
    from crmsim.model.policies import POLICIES, apply_policies, lever_defaults

    baseline = lever_defaults()
    blocks = []
    for policy in POLICIES.values():
        head = _("{name}  (paper {paper}, composite)") if policy.includes else _("{name}  (paper {paper})")
        lines = [head.format(name=policy.name, paper=policy.paper), f"    {_(policy.summary)}"]
        if policy.includes:
            lines.append("    " + _("includes: {policies}").format(policies=", ".join(policy.includes)))
        values = apply_policies([policy.name])
        levers = _set_levers(policy.name)
        if not levers:
            lines.append("    " + _("levers: all at their baseline values"))
        else:
            width = max(len(f"{lever} = {_toml_value(values[lever])}") for lever in levers)
            for lever in levers:
                setting = f"{lever} = {_toml_value(values[lever])}"
                lines.append(f"    {setting.ljust(width)}  " + _("{label} (baseline {value})").format(
                    label=lever_label(lever), value=_toml_value(baseline[lever])))
        blocks.append("\n".join(lines))
    print("\n\n".join(blocks))
    return exits.OK
