"""Text for people: messages that stay on one line, and TOML files read with such messages."""

import argparse
import tomllib
from pathlib import Path
from typing import Any

__all__ = ["one_line", "read_toml", "positive_int"]


def one_line(text: object) -> str:
    """``text`` with line breaks and other unprintable characters escaped (``\\n``, ``\\x1b``).

    An error message must stay one line, and must not drive the terminal, even
    when a file name or a TOML key (``"a\\nb" = 1``) contains such characters.

    >>> one_line("a\\nb")
    'a\\\\nb'
    """
    text = str(text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def read_toml(path: Path, what: str, error: type[Exception]) -> dict[str, Any]:
    """The table of a TOML file; any problem raises ``error`` with one line naming the file.

    ``what`` names the kind of file for a person ("scenario file").
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a {what}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise error(one_line(f"{path}: cannot read: {err}")) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise error(one_line(f"{path}: not valid TOML: {err}")) from None


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (``--steps 20``), else a one-line error."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value
