"""What every command shares: its one-line errors and warnings, the parser that keeps usage errors to one line,
and the small argument types and number formats several commands read.

A command reports bad input in one of two equivalent ways: it raises
:class:`CliError` (``main`` prints it), or it prints with :func:`fail` and
returns the exit code. Both print ``crmsim: error: <one line>`` on stderr with
an exit code from :mod:`crmsim.texts.exits`.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import TYPE_CHECKING, Any

from crmsim.model.text import one_line
from crmsim.texts import exits
from crmsim.texts.errors import error_text
from crmsim.texts.i18n import _

if TYPE_CHECKING:
    from crmsim.model.scenario import Scenario

__all__ = ["PROG", "WORLDS_FILE", "CliError", "Parser", "fail", "warn", "say", "language_option", "tolerance", "format_value",
           "load"]

PROG = "crmsim"
WORLDS_FILE = "calibration/worlds.parquet"  # compare --worlds and patterns --worlds read it unless told another


class CliError(Exception):
    """A command that cannot go on; the message is one line for a person, ``code`` its exit code
    (:mod:`crmsim.texts.exits`: bad input unless said otherwise)."""

    def __init__(self, message: str, code: int = exits.USAGE) -> None:
        super().__init__(message)
        self.code = code


class Parser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are one line on stderr, exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(exits.USAGE, _("{prog}: error: {message} (see: {prog} --help)").format(
            prog=self.prog, message=one_line(message)) + "\n")


def fail(message: str, code: int = exits.USAGE) -> int:
    """Print ``message`` as every command's error, ``crmsim: error: <one line>`` on stderr (its house form in the
    current language: :func:`crmsim.texts.errors.error_text`); return ``code``."""
    print(_("{prog}: error: {message}").format(prog=PROG, message=one_line(error_text(message))), file=sys.stderr)
    return code


def warn(message: str) -> None:
    print(_("{prog}: warning: {message}").format(prog=PROG, message=one_line(message)), file=sys.stderr, flush=True)


def say(args: argparse.Namespace, message: str) -> None:
    """A progress or result line on stdout, unless the command was given --quiet."""
    if not getattr(args, "quiet", False):
        print(message, flush=True)


def language_option(p: argparse.ArgumentParser) -> None:
    """``--lang`` after the command as well as before it (``crmsim explain FILE --lang fr``)."""
    from crmsim.texts.i18n import LANGUAGES

    p.add_argument("--lang", choices=LANGUAGES, default=argparse.SUPPRESS, metavar="en|fr",
                   help="language of the text (the same as crmsim --lang)")


def tolerance(text: str) -> float:
    """An argument type: a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 1 (got {text})")
    return value


def format_value(value: Any, signed: bool = False) -> str:
    """A metric as printed: 4 decimals (tiny or huge values in e-notation), NaN as ``n/a``."""
    if value is None:
        return "n/a"
    x = float(value)
    if math.isnan(x):
        return "n/a"
    sign = "+" if signed else ""
    if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e9):
        return f"{x:{sign}.3e}"
    return f"{x:{sign}.4f}"


def load(path: str, seed: int | None) -> "Scenario":
    """A scenario file, with ``seed`` in place of its own if given (ScenarioError: one line naming the file)."""
    from crmsim.model.scenario import load_scenario

    scenario = load_scenario(path)
    if seed is not None:
        scenario = scenario.with_values({"seed": seed}, source=path)
    return scenario
