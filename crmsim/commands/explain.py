"""``crmsim explain``: what a scenario sets, in plain words, and how it differs from the calibrated baseline.

    crmsim explain scenarios/my_faq.toml                     # every lever in words, and what differs
    crmsim --lang fr explain scenarios/my_faq.toml           # the same in French (or: explain ... --lang fr)

A workshop does not read Python or the parameter table: it edits numbers in a
file and asks what a scenario does. ``explain`` says what each lever is set
to, grouped by what it is about, and every value that differs from the
calibrated baseline. It reads the texts defined once in ``model/params.py``
(meanings) and :mod:`crmsim.texts.labels` (short labels, groups), translated by
:mod:`crmsim.texts.i18n`.
"""

from __future__ import annotations

import argparse
import shutil
import textwrap
from pathlib import Path
from typing import Any

from crmsim.commands.common import CliError, language_option
from crmsim.model.ages import AGE_FIELDS
from crmsim.model.administrations import MISSION_FIELDS
from crmsim.model.life_events import EVENT_FIELDS
from crmsim.model.params import PARAMS, Param
from crmsim.model.policies import POLICIES
from crmsim.model.scenario import Scenario, load_scenario
from crmsim.model.text import one_line
from crmsim.texts.i18n import _
from crmsim.texts.labels import LEVER_GROUPS, colon, lever_label, param_help, value_text

__all__ = ["register", "explain", "explain_text", "differences"]

BASELINE = Path("scenarios") / "calibrated_baseline.toml"


def register(subparsers: Any) -> None:
    """Add ``explain`` to an argparse subparsers object."""
    p = subparsers.add_parser(
        "explain", help="say in plain words what a scenario sets and how it differs from the baseline "
                        "(crmsim explain scenarios/faq.toml)",
        description="Print every lever of a scenario with its meaning and value, grouped, then every value\n"
                    "that differs from the baseline (baseline value -> this value).",
        epilog="examples:\n  crmsim explain scenarios/digital_first.toml\n"
               "  crmsim explain scenarios/faq.toml --lang fr",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO.toml", help="a scenario file, e.g. scenarios/faq.toml")
    p.add_argument("--baseline", type=Path, default=BASELINE, metavar="FILE",
                   help=f"the scenario to compare with (default: {BASELINE.as_posix()})")
    language_option(p)
    p.set_defaults(handler=explain)


def plain_value(param: Param, value: Any) -> str:
    """A parameter's value with its unit, in words: '0.6', '1.5×', '8 weeks', 'yes'."""
    if isinstance(value, (bool, str)) or param.unit in ("-", "0..1"):
        return value_text(value)
    if param.unit == "x":
        return f"{value_text(value)}×"
    return f"{value_text(value)} {_(param.unit)}"


def _settings(scenario: Scenario) -> dict[str, Any]:
    """Every value a scenario runs with, by field path (policy, steps ..., each parameter, each administration)."""
    values: dict[str, Any] = {"policy": " + ".join(scenario.policies), "country": scenario.country or "eu",
                              "steps": scenario.steps, "warmup": scenario.warmup, "seed": scenario.seed}
    values.update({f"{PARAMS[name].section}.{name}": value for name, value in scenario.flat().items()})
    for name, mission in scenario.missions().items():
        values.update({f"administrations.{name}.{field}": getattr(mission, field) for field in MISSION_FIELDS})
    for name, group in scenario.age_groups().items():
        values.update({f"ages.{name}.{field}": getattr(group, field) for field in AGE_FIELDS})
    for name, event in scenario.events().items():
        values.update({f"life_events.{name}.{field}": getattr(event, field) for field in EVENT_FIELDS})
    return values


def differences(base: Scenario, other: Scenario) -> list[tuple[str, str, str]]:
    """Each value that differs: (what, baseline value, this value), levers by their label."""
    before, after = _settings(base), _settings(other)
    rows = []
    for path, value in after.items():
        if before.get(path) == value:
            continue
        name = path.rsplit(".", 1)[-1]
        param = PARAMS.get(name) if path.count(".") == 1 else None
        if param is not None and param.section == "levers":
            what = f"{lever_label(name)} ({path})"
        else:
            what = path
        show = (lambda v: plain_value(param, v)) if param is not None else value_text
        rows.append((what, show(before.get(path)), show(value)))
    return rows


def explain_text(scenario: Scenario, source: str, baseline: Scenario, baseline_source: str, width: int = 100) -> str:
    """What ``explain`` prints: the scenario, its levers by group, and its differences from the baseline."""
    values = scenario.flat()
    policy = " + ".join(scenario.policies)
    summaries = "; ".join(_(POLICIES[p].summary) for p in scenario.policies)
    lines = [f"{scenario.name} ({source})"]
    if scenario.description:
        lines.append(scenario.description)
    lines.append(_("Policy: {policy} ({summary}). {steps} weeks recorded after a {warmup}-week warm-up, "
                   "seed {seed}.").format(policy=policy, summary=summaries, steps=scenario.steps,
                                          warmup=scenario.warmup, seed=scenario.seed))
    lines += ["", _("Levers (what the policy sets; a value in the file's [levers] table wins):")]
    shown = {n: plain_value(PARAMS[n], values[n]) for group in LEVER_GROUPS.values() for n in group}
    label_width = max(len(lever_label(n)) for n in shown) + 2
    value_width = max(len(v) for v in shown.values()) + 2
    for group, levers in LEVER_GROUPS.items():
        lines.append(f"  {_(group)}")
        for name in levers:
            head = f"    {lever_label(name).ljust(label_width)}{shown[name].ljust(value_width)}"
            help_lines = textwrap.wrap(param_help(name), max(30, width - len(head)))
            lines.append(head + help_lines[0])
            lines += [" " * len(head) + more for more in help_lines[1:]]
    diffs = differences(baseline, scenario)
    lines += ["", _("Different from the baseline ({file}):").format(file=baseline_source)]
    lines += ["  " + colon(what, f"{old} -> {new}") for what, old, new in diffs] or [
        "  " + _("nothing: it runs like the baseline")]
    return "\n".join(one_line(line) for line in lines)


def explain(args: argparse.Namespace) -> int:
    """Handler of ``explain``."""
    scenario = load_scenario(args.scenario)
    if not Path(args.baseline).is_file():
        raise CliError(f"{args.baseline}: no such file (the baseline to compare with); run from the crmsim folder "
                    f"or give --baseline FILE")
    baseline = load_scenario(args.baseline)
    width = shutil.get_terminal_size((100, 24)).columns
    print(explain_text(scenario, args.scenario, baseline, Path(args.baseline).as_posix(), width))
    return 0
