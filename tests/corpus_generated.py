"""Malformed calibration, worlds, patterns, frontier and story files, generated from the shipped ones.

Each shipped file is read, one field is broken (a value of the wrong type, a
number outside its range, an unknown field, a required field removed, an entry
of a list of tables emptied), and the file is written again: every field of
every file is covered, and a field added tomorrow is covered the day it is added.
A case is (name, the file's text, the words its error must contain).
"""

from __future__ import annotations

import copy
import math
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# The shipped file each kind is made from, and the fields in it that name other files (made absolute, so the
# broken copy can live anywhere).
SOURCES = {
    "targets": (ROOT / "calibration" / "targets.toml", ("scenario",)),
    "worlds": (ROOT / "calibration" / "worlds.toml", ("targets", "posterior")),
    "patterns": (ROOT / "calibration" / "patterns.toml", ("scenario",)),
    "frontier": (ROOT / "experiments" / "frontier.toml", ("scenario",)),
    "story": (ROOT / "scenarios" / "stories" / "paper.toml", ()),
}
COMMANDS = {"targets": "calibrate", "worlds": "worlds", "patterns": "patterns", "frontier": "frontier",
            "story": "viz --story"}


def shipped(kind: str) -> dict[str, Any]:
    path, file_fields = SOURCES[kind]
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for field in file_fields:
        if field in data:
            data[field] = str((path.parent / data[field]).resolve())
    for stage in data.get("stage", []) if kind == "story" else []:
        stage["scenario"] = str((path.parent / stage["scenario"]).resolve())
    return data


def to_toml(data: dict[str, Any]) -> str:
    """``data`` as TOML: scalars and arrays first, then tables, then arrays of tables."""
    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            return "nan" if math.isnan(v) else ("inf" if v == math.inf else ("-inf" if v == -math.inf else repr(v)))
        if isinstance(v, int):
            return str(v)
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{_key(k)} = {value(x)}" for k, x in v.items()) + "}"
        raise TypeError(v)

    def body(table: dict[str, Any]) -> list[str]:
        return [f"{_key(k)} = {value(v)}" for k, v in table.items() if not _is_table(v) and not _is_tables(v)]

    lines = body(data)
    for k, v in data.items():
        if _is_table(v):
            lines += ["", f"[{_key(k)}]", *body(v)]
            lines += [f"{_key(kk)} = {value(vv)}" for kk, vv in v.items() if _is_table(vv)]
    for k, v in data.items():
        if _is_tables(v):
            for entry in v:
                lines += ["", f"[[{_key(k)}]]", *body(entry)]
                lines += [f"{_key(kk)} = {value(vv)}" for kk, vv in entry.items() if _is_table(vv)]
    return "\n".join(lines) + "\n"


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else f'"{k}"'


def _is_table(v: Any) -> bool:
    return isinstance(v, dict)


def _is_tables(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def _wrong_types(v: Any) -> list[Any]:
    """Values of another type than ``v``'s."""
    if isinstance(v, bool):
        return ["yes", 2]
    if isinstance(v, (int, float)):
        return ["x", True, [1]]
    if isinstance(v, str):
        return [5, ["a"]]
    if isinstance(v, list):
        return ["x", 3]
    return ["x"]


def _fields(data: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], str, Any]]:
    """(path, the name an error gives it, value) for every scalar or array field, in tables and the first entry of
    each array of tables."""
    for k, v in data.items():
        if _is_tables(v):
            for kk, vv in v[0].items():
                if not _is_table(vv):
                    yield (k, 0, kk), f"{k}[0].{kk}", vv
        elif _is_table(v):
            for kk, vv in v.items():
                if not _is_table(vv):
                    yield (k, kk), f"{k}.{kk}", vv
        else:
            yield (k,), k, v


def _set(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(data)
    target = out
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return out


def _drop(data: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    out = copy.deepcopy(data)
    target = out
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return out


def cases(kind: str) -> list[tuple[str, str, str]]:
    """Broken copies of the shipped ``kind`` file: (case name, text, words the error must contain)."""
    data = shipped(kind)
    out = []
    for path, where, v in _fields(data):
        for i, bad in enumerate(_wrong_types(v)):
            out.append((f"{kind}-{where}-type{i}", to_toml(_set(data, path, bad)), where))
    out.append((f"{kind}-unknown-top", to_toml({**data, "colour": "red"}), "colour"))
    for k, v in data.items():
        if _is_table(v):
            out.append((f"{kind}-{k}-unknown", to_toml(_set(data, (k, "colour"), "red")), f"{k}.colour"))
        if _is_tables(v):
            out.append((f"{kind}-{k}-unknown", to_toml(_set(data, (k, 0, "colour"), "red")), f"{k}[0].colour"))
            if kind != "story":  # a story may play a stage twice
                out.append((f"{kind}-{k}-duplicate", to_toml(_set(data, (k,), [v[0], v[0], *v[1:]])), f"{k}["))
    return out


def story_cases() -> list[tuple[str, str, str]]:
    """Story files out of range or inconsistent: weeks, population, stage counts, texts, scenarios, policies."""
    data = shipped("story")
    stage = data["stage"][1]
    other_world = str(ROOT / "scenarios" / "small_town_network.toml")  # other citizens: a network from a file
    changed = {
        "weeks-zero": (("stage", 1, "weeks"), 0, "stage[1].weeks"),
        "weeks-too-many": (("stage", 1, "weeks"), 521, "stage[1].weeks"),
        "weeks-float": (("stage", 1, "weeks"), 2.5, "stage[1].weeks"),
        "citizens-too-few": (("citizens",), 99, "citizens"),
        "citizens-too-many": (("citizens",), 2001, "citizens"),
        "no-stage": (("stage",), [], "stage"),
        "thirteen-stages": (("stage",), [stage] * 13, "stage"),
        "caption-empty": (("stage", 1, "caption"), "  ", "stage[1].caption"),
        "caption-too-long": (("stage", 1, "caption"), "x" * 601, "stage[1].caption"),
        "title-empty": (("title",), "", "title"),
        "title-too-long": (("title",), "x" * 81, "title"),
        "stage-title-too-long": (("stage", 1, "title"), "x" * 81, "stage[1].title"),
        "stage-title-number": (("stage", 1, "title"), 3, "stage[1].title"),
        "policy-unknown": (("stage", 2, "policy"), ["digital_first", "teleportation"], "stage[2]"),
        "policy-empty-list": (("stage", 2, "policy"), [], "stage[2].policy"),
        "policy-number": (("stage", 2, "policy"), 7, "stage[2].policy"),
        "scenario-missing-file": (("stage", 1, "scenario"), str(ROOT / "scenarios" / "nowhere.toml"), "nowhere.toml"),
        "scenario-a-folder": (("stage", 1, "scenario"), str(ROOT / "scenarios"), "stage[1].scenario"),
        "scenario-empty": (("stage", 1, "scenario"), "", "stage[1].scenario"),
        "scenario-other-world": (("stage", 1, "scenario"), other_world, "differs from stage[0]'s world"),
        "scenario-not-a-scenario": (("stage", 1, "scenario"), str(ROOT / "experiments" / "frontier.toml"),
                                    "stage[1].scenario"),
        "description-number": (("description",), 1, "description"),
    }
    out = [(f"story-{name}", to_toml(_set(data, path, bad)), expect) for name, (path, bad, expect) in changed.items()]
    for required in ("scenario", "weeks", "caption"):
        out.append((f"story-stage-without-{required}", to_toml(_drop(data, ("stage", 1, required))),
                    f"stage[1].{required}"))
    out.append(("story-without-title", to_toml(_drop(data, ("title",))), "title"))
    out.append(("story-stage-not-a-table", to_toml(_set(data, ("stage",), ["baseline"])), "stage[0]"))
    return out


def target_range_cases() -> list[tuple[str, str, str]]:
    """A figure outside what its quantity can be, for every quantity with a range: a share of 1.7, of -0.2."""
    from crmsim.model.metrics import INFO, QUANTITIES

    data = shipped("targets")
    out = []
    for quantity in QUANTITIES:
        if quantity not in INFO:
            continue
        low, high = INFO[quantity].bounds
        for label, bad in (("above", high + 0.7), ("below", low - 0.2)):
            if math.isfinite(bad):
                target = {**data["target"][0], "quantity": quantity, "value": bad}
                out.append((f"targets-{quantity}-{label}", to_toml(_set(data, ("target",), [target])),
                            "target[0].value"))
    return out


def prior_range_cases() -> list[tuple[str, str, str]]:
    """A prior reaching outside what model/params.py allows, for every bounded behavioural parameter."""
    from crmsim.model.params import PARAMS

    data = shipped("targets")
    out = []
    for p in PARAMS.values():
        if p.section != "behaviour" or p.kind is not float or p.low is None or p.high is None:
            continue
        prior = {"name": p.name, "low": p.low - 1.0, "high": p.high}
        out.append((f"targets-prior-{p.name}", to_toml(_set(data, ("parameter",), [prior])), "parameter[0].low"))
    return out


def all_cases() -> list[tuple[str, str, str, str]]:
    """Every generated case: (command, case name, text, words the error must contain)."""
    out = [(COMMANDS[kind], *case) for kind in SOURCES for case in cases(kind)]
    out += [("viz --story", *case) for case in story_cases()]
    return out + [("calibrate", *case) for case in (*target_range_cases(), *prior_range_cases())]
