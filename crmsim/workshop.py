"""``crmsim new-scenario`` and ``crmsim explain``: a workshop edits scenarios and reads them in plain words.

    crmsim new-scenario --from scenarios/faq.toml my_faq     # writes scenarios/my_faq.toml to edit
    crmsim explain scenarios/my_faq.toml                     # every lever in words, and what differs
    crmsim --lang fr explain scenarios/my_faq.toml           # the same in French (or: explain ... --lang fr)

A workshop does not read Python or the parameter table: it edits numbers in a
file and asks what a scenario does. ``new-scenario`` writes a commented copy of
a scenario that runs exactly like it (same seed, same values), with every
lever spelled out, its meaning and allowed values beside it. ``explain`` says
what each lever is set to, grouped by what it is about, and every value that
differs from the calibrated baseline. Both read the texts defined once in
``model/params.py`` (meanings) and :mod:`crmsim.labels` (short labels, groups),
translated by :mod:`crmsim.i18n`.

``register(subparsers)`` adds both commands, as ``experiments.commands`` does
for ``sweep`` and ``report``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from crmsim.i18n import LANGUAGES, _
from crmsim.labels import LEVER_GROUPS, colon, lever_label, param_help, value_text
from crmsim.model.administrations import MISSION_FIELDS
from crmsim.model.life_events import EVENT_FIELDS
from crmsim.model.params import PARAMS, Param
from crmsim.model.policies import POLICIES
from crmsim.model.scenario import Scenario, load_scenario
from crmsim.model.text import one_line

__all__ = ["register", "scenario_text", "explain_text", "differences"]

BASELINE = Path("scenarios") / "calibrated_baseline.toml"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")  # as an experiment's name: a safe file name
NAME_RULE = "letters, digits, '_', '-' and '.', starting with a letter or digit (e.g. my_faq), or a path ending in .toml"


def register(subparsers: Any) -> None:
    """Add ``new-scenario`` and ``explain`` to an argparse subparsers object."""
    lang = dict(choices=LANGUAGES, default=argparse.SUPPRESS, metavar="en|fr",
                help="language of the text (the same as crmsim --lang)")
    p = subparsers.add_parser(
        "new-scenario", help="write a commented copy of a scenario to edit (crmsim new-scenario --from "
                             "scenarios/faq.toml my_faq)",
        description="Write scenarios/NAME.toml (or the .toml path given): a copy of BASE that runs exactly\n"
                    "like it, with every lever listed beside its meaning and allowed values, ready to edit.\n"
                    "Never overwrites a file.",
        epilog="example:\n  crmsim new-scenario --from scenarios/faq.toml my_faq\n"
               "  crmsim validate scenarios/my_faq.toml && crmsim explain scenarios/my_faq.toml",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", metavar="NAME", help=f"the new scenario: {NAME_RULE}")
    p.add_argument("--from", dest="base", required=True, metavar="BASE.toml",
                   help="the scenario to copy, e.g. scenarios/calibrated_baseline.toml")
    p.add_argument("--lang", **lang)
    p.set_defaults(handler=new_scenario)

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
    p.add_argument("--lang", **lang)
    p.set_defaults(handler=explain)


def _fail(message: str) -> Exception:
    from crmsim.cli import CliError  # the command line's one-line error, exit code 2

    return CliError(one_line(message))


# --- values as a person reads them ------------------------------------------------------------


def plain_value(param: Param, value: Any) -> str:
    """A parameter's value with its unit, in words: '0.6', '1.5×', '8 weeks', 'yes'."""
    if isinstance(value, (bool, str)) or param.unit in ("-", "0..1"):
        return value_text(value)
    if param.unit == "x":
        return f"{value_text(value)}×"
    return f"{value_text(value)} {_(param.unit)}"


def _settings(scenario: Scenario) -> dict[str, Any]:
    """Every value a scenario runs with, by field path (policy, steps ..., each parameter, each administration)."""
    values: dict[str, Any] = {"policy": " + ".join(scenario.policies), "steps": scenario.steps,
                              "warmup": scenario.warmup, "seed": scenario.seed}
    values.update({f"{PARAMS[name].section}.{name}": value for name, value in scenario.flat().items()})
    for name, mission in scenario.missions().items():
        values.update({f"administrations.{name}.{field}": getattr(mission, field) for field in MISSION_FIELDS})
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


# --- explain ----------------------------------------------------------------------------------


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
        raise _fail(f"{args.baseline}: no such file (the baseline to compare with); run from the crmsim folder "
                    f"or give --baseline FILE")
    baseline = load_scenario(args.baseline)
    width = shutil.get_terminal_size((100, 24)).columns
    print(explain_text(scenario, args.scenario, baseline, Path(args.baseline).as_posix(), width))
    return 0


# --- new-scenario -----------------------------------------------------------------------------


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


def _target(name: str) -> tuple[str, Path]:
    """The scenario's name and file: scenarios/NAME.toml, or the .toml path given."""
    path = Path(name) if name.endswith(".toml") or "/" in name or os.sep in name else Path("scenarios") / f"{name}.toml"
    if path.suffix != ".toml" or not NAME.fullmatch(path.stem):
        raise _fail(f"NAME: got {name!r}; allowed: {NAME_RULE}")
    return path.stem, path


def _write_new(path: Path, text: str) -> None:
    """Write ``text`` at ``path`` whole, never over an existing file (a temporary file, then a hard link)."""
    if path.exists():
        raise _fail(f"{path}: already exists; choose another NAME or remove that file first")
    if not path.parent.is_dir():
        if path.parent != Path("scenarios"):
            raise _fail(f"{path.parent}: no such folder")
        path.parent.mkdir()
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.",
                                     delete=False) as temp:
        temp.write(text)
    try:
        os.link(temp.name, path)
    except FileExistsError:
        raise _fail(f"{path}: already exists; choose another NAME or remove that file first") from None
    except OSError as err:
        raise _fail(f"{path}: cannot write: {err.strerror or err}") from None
    finally:
        os.unlink(temp.name)


def new_scenario(args: argparse.Namespace) -> int:
    """Handler of ``new-scenario``."""
    name, path = _target(args.name)
    base = load_scenario(args.base)
    _write_new(path, scenario_text(base, Path(args.base).as_posix(), name, path))
    load_scenario(path)  # the copy must read back; a failure here is a bug, reported on one line
    print(_("wrote {path}: a copy of {base} to edit; check it with: crmsim validate {path}").format(
        path=path.as_posix(), base=Path(args.base).as_posix()))
    return 0
