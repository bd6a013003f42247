"""Text for people: messages that stay on one line."""

__all__ = ["one_line"]


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
