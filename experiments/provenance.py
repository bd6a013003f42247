"""What made a saved result: crmsim's version, a fingerprint of the model's code, and every value it ran with.

A saved comparison, sweep, calibration, worlds file or frontier is only
worth reusing if today's model would compute the same rows. So each carries a
*model stamp* (:func:`model_stamp`): crmsim's version and a fingerprint of the
code that turns a scenario and a seed into rows, and, beside it, the
*resolved values* (:func:`resolved_values`) of every parameter it ran with,
defaults and policy levers included. A reader compares both with today's
(:func:`stamp_change`, :func:`first_value_change`) and refuses, or recomputes,
when either differs: a policy's levers edited in the code change the resolved
values even when no scenario file changed.

The code fingerprint hashes the syntax tree of every module of the model
package (``crmsim.model``, its phases, and the modules that turn a run into
rows and draw its seed), with docstrings stripped: a comment or a docstring
edited leaves it alone, any change to what the code does moves it.

Examples
--------
>>> stamp = model_stamp()
>>> sorted(stamp), stamp_change(stamp, stamp) is None
(['code', 'crmsim'], True)
>>> stamp_change({"crmsim": "0.1.0", "code": "aaaa"}, {"crmsim": "0.1.0", "code": "bbbb"})
'the model code changed (fingerprint aaaa then, bbbb now)'
>>> first_value_change({"trust_gain": 0.1}, {"trust_gain": 0.2})
'trust_gain (0.1 then, 0.2 now)'
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["model_stamp", "code_fingerprint", "crmsim_version", "resolved_values", "stamp_change",
           "first_value_change", "STAMP_KEY", "MODEL_FILES"]

STAMP_KEY = "model"  # where a manifest, a provenance or a state file keeps its model stamp

_ROOT = Path(__file__).resolve().parents[1]
# What computes a run's rows: the model package (not its ODD writer, which only documents it), how a run
# becomes rows, and how its seed is drawn.
MODEL_FILES = ("model/**/*.py", "experiments/execute.py", "experiments/seeds.py")
_NOT_MODEL = {"model/odd.py"}


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def _model_sources(root: Path) -> list[Path]:
    files = {path for pattern in MODEL_FILES for path in root.glob(pattern)}
    return sorted(p for p in files if p.relative_to(root).as_posix() not in _NOT_MODEL)


def code_fingerprint(root: Path | None = None) -> str:
    """A 16-hex-digit hash of the model's code (:data:`MODEL_FILES` under ``root``), docstrings and comments aside.

    ``root`` defaults to the installed source tree; tests pass a copy.
    """
    if root is None:
        return _installed_fingerprint()
    digest = hashlib.sha256()
    for path in _model_sources(root):
        tree = _without_docstrings(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(ast.dump(tree, annotate_fields=False).encode() + b"\0")
    return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=1)
def _installed_fingerprint() -> str:
    return code_fingerprint(_ROOT)


def crmsim_version() -> str:
    """The installed crmsim's version (``pyproject.toml``), or 'unknown' outside an install."""
    try:
        return metadata.version("crmsim")
    except metadata.PackageNotFoundError:
        return "unknown"


def model_stamp() -> dict[str, str]:
    """crmsim's version and the model code's fingerprint: what a saved result records of the model that made it."""
    return {"crmsim": crmsim_version(), "code": code_fingerprint()}


def resolved_values(scenario: Any) -> dict[str, Any]:
    """Every value a scenario runs with, as plain JSON: each parameter (defaults and policy levers resolved), each
    administration's and life event's fields, the warm-up and the steps."""
    from dataclasses import asdict

    values = {**scenario.flat(), "warmup": scenario.warmup, "steps": scenario.steps}
    values.update({f"administrations.{name}.{field}": value for name, mission in scenario.missions().items()
                   for field, value in asdict(mission).items() if field != "label"})
    values.update({f"life_events.{name}.{field}": value for name, event in scenario.events().items()
                   for field, value in asdict(event).items() if field not in ("label", "source")})
    return json.loads(json.dumps(values, default=str))


def stamp_change(then: Any, now: dict[str, str]) -> str | None:
    """How the model that made a result differs from today's, in a few words, or None when it is the same.

    A missing or malformed stamp (a result saved before stamps were kept) differs.
    """
    if not isinstance(then, dict) or not {"crmsim", "code"} <= set(then):
        return "it was saved by an older crmsim that did not record its model"
    parts = []
    if then["crmsim"] != now["crmsim"]:
        parts.append(f"crmsim {then['crmsim']} then, {now['crmsim']} now")
    if then["code"] != now["code"]:
        parts.append(f"the model code changed (fingerprint {then['code']} then, {now['code']} now)")
    return "; ".join(parts) or None


def first_value_change(then: Any, now: dict[str, Any]) -> str | None:
    """The first parameter whose resolved value differs, as 'name (old then, new now)', or None."""
    if not isinstance(then, dict):
        return "the values it ran with were not recorded"
    for name in sorted(set(then) | set(now)):
        if then.get(name) != now.get(name):
            return f"{name} ({json.dumps(then.get(name))} then, {json.dumps(now.get(name))} now)"
    return None
