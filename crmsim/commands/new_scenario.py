"""``crmsim new-scenario``: a commented copy of a scenario that a workshop edits.

    crmsim new-scenario --from scenarios/faq.toml my_faq     # writes scenarios/my_faq.toml to edit

The copy runs exactly like its base (same seed, same values), with every
lever spelled out, its meaning and allowed values beside it
(:func:`crmsim.texts.scenario_file.scenario_text`). It never overwrites a file.
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from crmsim.commands.common import CliError, language_option
from crmsim.model.scenario import load_scenario
from crmsim.texts.i18n import _
from crmsim.texts.scenario_file import scenario_text

__all__ = ["register", "new_scenario"]

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")  # as an experiment's name: a safe file name


NAME_RULE = "letters, digits, '_', '-' and '.', starting with a letter or digit (e.g. my_faq), or a path ending in .toml"


def register(subparsers: Any) -> None:
    """Add ``new-scenario`` to an argparse subparsers object."""
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
    language_option(p)
    p.set_defaults(handler=new_scenario)


def _target(name: str) -> tuple[str, Path]:
    """The scenario's name and file: scenarios/NAME.toml, or the .toml path given."""
    path = Path(name) if name.endswith(".toml") or "/" in name or os.sep in name else Path("scenarios") / f"{name}.toml"
    if path.suffix != ".toml" or not NAME.fullmatch(path.stem):
        raise CliError(f"NAME: got {name!r}; allowed: {NAME_RULE}")
    return path.stem, path


def _write_new(path: Path, text: str) -> None:
    """Write ``text`` at ``path`` whole, never over an existing file (a temporary file, then a hard link)."""
    if path.exists():
        raise CliError(f"{path}: already exists; choose another NAME or remove that file first")
    if not path.parent.is_dir():
        if path.parent != Path("scenarios"):
            raise CliError(f"{path.parent}: no such folder")
        path.parent.mkdir()
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.",
                                     delete=False) as temp:
        temp.write(text)
    try:
        os.link(temp.name, path)
    except FileExistsError:
        raise CliError(f"{path}: already exists; choose another NAME or remove that file first") from None
    except OSError as err:
        raise CliError(f"{path}: cannot write: {err.strerror or err}") from None
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
