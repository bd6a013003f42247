"""``crmsim validate``: check scenario, experiment and frontier files without running them.

Each good file prints ``ok FILE`` on stdout; each bad one prints the same
one-line error every command prints (``crmsim: error: FILE: field: what is
allowed``) on stderr, and the exit code is 2 if any failed.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from crmsim.commands.common import fail
from crmsim.model.text import one_line
from crmsim.texts import exits

__all__ = ["register", "validate"]

_VALIDATE_DESCRIPTION = """\
Check scenario, experiment and frontier files without running them: print
"ok FILE" for each good one, or, as every command's errors, one line
"crmsim: error: FILE: field: what is allowed". Exit code 2 if any file
failed.

example:
  crmsim validate scenarios/*.toml
"""


def register(subparsers: Any) -> None:
    """Add ``validate`` to an argparse subparsers object."""
    p = subparsers.add_parser(
        "validate", help="check scenario, experiment or frontier files (crmsim validate scenarios/*.toml)",
        description=_VALIDATE_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario, experiment or frontier file(s) to check")
    p.set_defaults(handler=validate)


# Fields only an experiment file has; a scenario file has none of them.
_EXPERIMENT_FIELDS = frozenset({"scenario", "design", "vary", "set", "replications", "outputs"})


def _file_kind(path: str) -> str:
    """"frontier" for a file with a ``[search]`` table; "experiment" for one with any other experiment-only field
    (``scenario``, ``vary``, ``design`` ...); "scenario" otherwise.

    ``[design]`` is optional in an experiment (a full factorial by default), so
    it cannot be the mark. Anything unreadable is left to the scenario reader,
    which reports it.
    """
    from crmsim.model.scenario import ScenarioError
    from crmsim.model.text import read_toml

    try:
        data = read_toml(Path(path), "scenario or experiment file", ScenarioError)
    except ScenarioError:
        return "scenario"
    if not isinstance(data, dict):
        return "scenario"
    if "search" in data:
        return "frontier"
    return "scenario" if _EXPERIMENT_FIELDS.isdisjoint(data) else "experiment"


def validate(args: argparse.Namespace) -> int:
    from crmsim.experiments.frontier import load_frontier
    from crmsim.experiments.spec import SpecError, load_experiment
    from crmsim.model.scenario import ScenarioError, check_runnable

    readers = {"frontier": load_frontier, "experiment": load_experiment, "scenario": check_runnable}
    failed = 0
    for path in args.files:
        try:
            readers[_file_kind(path)](path)
        except (ScenarioError, SpecError) as err:
            failed += 1
            fail(str(err))  # the form of every error: crmsim: error: FILE: field: what is allowed
        else:
            print(one_line(f"ok {path}"))
    return exits.USAGE if failed else exits.OK
