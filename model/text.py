"""Text for people: messages that stay on one line, and TOML files read with such messages."""

import argparse
import stat
import tomllib
from pathlib import Path
from typing import Any

from crmsim.model.limits import MAX_INPUT_BYTES

__all__ = ["one_line", "read_toml", "positive_int", "bounded_int", "check_regular_file", "text_table",
           "explain_invalid"]


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


# What pydantic adds to a field's path for each member of a union ("policy.str", "weeks.list[int]"): not a field.
_TYPE_TAGS = {"str", "int", "float", "bool"}
_TYPE_PREFIXES = ("list[", "literal[", "function-", "dict[")


def explain_invalid(source: str, err: "pydantic.ValidationError", example: str) -> str:
    """Pydantic's first complaint about a file as one line: the file, the field's path, what is wrong.

    ``example`` names a file that shows every field, for a missing one.
    """
    first = err.errors()[0]
    loc = [p for p in first["loc"] if not (isinstance(p, str) and (p in _TYPE_TAGS or p.startswith(_TYPE_PREFIXES)))]
    where = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p))
                    for i, p in enumerate(loc)) or "(top level)"
    message = first["msg"].removeprefix("Value error, ")
    got = first.get("input")
    text = message if first["type"] in ("value_error", "missing", "extra_forbidden") else f"got {got!r}: {message}"
    if first["type"] == "extra_forbidden":
        text = "unknown field"
    elif first["type"] == "missing":
        text = f"missing; see {example} for an example of every field"
    return one_line(f"{source}: {where}: {text}")


def check_regular_file(path: Path, what: str, error: type[Exception], max_bytes: int | None = None) -> None:
    """Raise ``error`` (one line naming the file) unless ``path`` is a regular file of at most ``max_bytes``.

    Refusing devices, FIFOs and sockets up front keeps ``crmsim validate
    /dev/zero`` from filling memory and a FIFO from hanging the reader.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except OSError as err:
        raise error(one_line(f"{path}: cannot read: {err.strerror or err}")) from None
    if stat.S_ISDIR(info.st_mode):
        raise error(f"{path}: is a folder, not a {what}")
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{path}: not a regular file (a device, pipe or socket); expected a {what}")
    if max_bytes is not None and info.st_size > max_bytes:
        raise error(f"{path}: {info.st_size:,} bytes, too large for a {what}; allowed: at most {max_bytes:,} bytes")


def read_toml(path: Path, what: str, error: type[Exception]) -> dict[str, Any]:
    """The table of a TOML file; any problem raises ``error`` with one line naming the file.

    ``what`` names the kind of file for a person ("scenario file").
    """
    path = Path(path)
    check_regular_file(path, what, error, MAX_INPUT_BYTES)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise error(one_line(f"{path}: cannot read: {err}")) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise error(one_line(f"{path}: not valid TOML: {err}")) from None
    except RecursionError:  # tomllib recurses once per level of nested tables or arrays
        raise error(f"{path}: not valid TOML for a {what}: nested too deeply") from None


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (``--reps 10``), else a one-line error."""
    return bounded_int(1, None)(text)


def bounded_int(low: int, high: int | None):
    """An argparse type: a whole number from ``low`` to ``high`` (no upper bound if None), else a one-line error.

    >>> bounded_int(1, 5)("3")
    3
    """
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            allowed = f"at least {low}" if high is None else f"a whole number from {low} to {high}"
            raise argparse.ArgumentTypeError(f"got {value}; allowed: {allowed}")
        return value

    return parse


def text_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned.

    >>> print(text_table(["a", "b"], [["x", "1.5"], ["yy", "10"]]))
    a     b
    x   1.5
    yy   10
    """
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:])]
        return "  ".join([first, *rest]).rstrip()

    return "\n".join([line(header), *(line(row) for row in rows)])
