"""The ``crmsim`` command line: one module per command in this folder, assembled here into one parser.

Usage examples::

    crmsim run scenarios/faq.toml --steps 20 --out faq.parquet
    crmsim validate scenarios/*.toml
    crmsim policies
    crmsim compare scenarios/calibrated_baseline.toml scenarios/faq.toml

Each module of :data:`COMMANDS` adds its command with ``register(subparsers)``
and sets ``handler``, a function of the parsed arguments that returns the exit
code. The command line sits on top of everything else: the engine
(``crmsim.model``, ``crmsim.experiments``, ``crmsim.calibration``) and the
pages (``crmsim.viz``) never import it, and the texts they share with it
(translations, labels, exit codes) live in :mod:`crmsim.texts`.

Every mistake in the input (a bad scenario file, an unreadable network file, a
bad option) ends with exit code 2 and one line on stderr, never a traceback.
:func:`main` returns the exit code instead of exiting, so it can be called from
Python and tests: ``main(["validate", "scenarios/faq.toml"])``. The model is
imported only when a command needs it, so ``crmsim --help`` is instant.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Sequence

from crmsim.commands.common import PROG, CliError, Parser, fail
from crmsim.texts import exits
from crmsim.texts.i18n import LANGUAGES, language, locale_language

__all__ = ["main", "build_parser", "COMMANDS"]

# The commands' modules, in the order ``crmsim --help`` lists them.
COMMANDS = ("run", "validate", "warmup", "calibrate", "policies", "sweep", "compare", "report", "rerun", "discover",
            "frontier", "worlds", "patterns", "viz", "new_scenario", "explain")

_DESCRIPTION = """\
Agent-based simulation of Citizen Relationship Management: citizens,
prescribers and administrations under mediation policies.

examples:
  crmsim run scenarios/faq.toml --steps 20 --out faq.parquet
  crmsim run scenarios/calibrated_baseline.toml scenarios/full_mediation.toml
  crmsim validate scenarios/*.toml
  crmsim policies
  crmsim warmup scenarios/calibrated_baseline.toml
  crmsim compare scenarios/calibrated_baseline.toml scenarios/redress_procedure.toml
  crmsim sweep experiments/paper_question.toml && crmsim report results/paper_question/
  crmsim discover results/discovery/ --where "lost_users < 0.23"
  crmsim frontier experiments/frontier.toml
  crmsim calibrate calibration/targets.toml
  crmsim viz
  crmsim --lang fr explain scenarios/faq.toml
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``crmsim`` argument parser, with every command of :data:`COMMANDS`."""
    parser = Parser(prog=PROG, description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=_version(),
                        help="print crmsim's version (and Mesa's) and exit")
    parser.add_argument("--lang", choices=LANGUAGES, metavar="en|fr",
                        help="language of what a command prints, and of its reports and pages (default: from the "
                             "locale, LANG=fr_FR.UTF-8 gives French; else English)")
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND", parser_class=Parser)
    for name in COMMANDS:
        importlib.import_module(f"crmsim.commands.{name}").register(commands)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    def of(package: str) -> str:
        try:
            return version(package)
        except PackageNotFoundError:
            return "not installed"

    return f"{PROG} {of('crmsim')} (mesa {of('mesa')}, Python {sys.version.split()[0]})"


# -- entry point ---------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``crmsim`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    with language(_language_asked(argv) or locale_language()):  # usage errors and help speak it too
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as stop:  # --help, or a usage error already printed on one line
            return stop.code if isinstance(stop.code, int) else exits.USAGE
        if args.command is None:  # plain `crmsim`: say what it can do
            parser.print_help()
            return exits.OK
        return _run(args)


def _language_asked(argv: list[str]) -> str | None:
    """The language --lang names anywhere on the command line (before or after the command), if it is one we
    have; a bad value is left for the parser to refuse."""
    early = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    early.add_argument("--lang")
    try:
        asked = early.parse_known_args(argv)[0].lang
    except argparse.ArgumentError:  # e.g. --lang with no value: the parser says so
        return None
    return asked if asked in LANGUAGES else None


def _run(args: argparse.Namespace) -> int:
    from crmsim.model.network import NetworkFileError
    from crmsim.model.scenario import ScenarioError

    try:
        return args.handler(args)
    except (CliError, ScenarioError, NetworkFileError) as err:
        fail(str(err))
        return err.code if isinstance(err, CliError) else exits.USAGE
    except BrokenPipeError:  # e.g. `crmsim policies | head`: stop quietly
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1
    except KeyboardInterrupt:
        return 130
