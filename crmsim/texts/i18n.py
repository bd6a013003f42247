"""Translations: the code speaks English; French comes from one message catalogue.

Every text a person reads (reports, the compare page, the browser page, the
command line's verdicts, the metric labels of :data:`crmsim.model.metrics.INFO`)
is written in English in the code and passed through :func:`_`. The French is
in ``crmsim/locale/fr/LC_MESSAGES/crmsim.po``, a gettext catalogue that
translators edit with any PO editor; it is read as is (Babel compiles it in
memory), so there is no compiled ``.mo`` file to keep in step.

The language is a context variable: a report or a page sets it around the code
that renders it (``with language("fr"): ...``), so two renderings in different
languages never mix. Numbers are formatted for the language with Babel
(:func:`number`, :func:`percent`: "0,46" and "46 %" in French).

>>> with language("fr"):
...     _("Mean trust")
'Confiance moyenne'
>>> _("Mean trust")
'Mean trust'
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import io
import math
import os
from pathlib import Path
from typing import Iterator

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

__all__ = ["LANGUAGES", "LANGUAGE_VARIABLE", "language", "current", "locale_language", "_", "ngettext", "number",
           "difference", "percent", "LanguageError"]

LANGUAGES = ("en", "fr")
DOMAIN = "crmsim"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"  # crmsim/locale/, where the package data is installed

# The language set by ``language()`` in this context; unset, the process's own (LANGUAGE_VARIABLE), which
# reaches threads a server starts with no context of ours (the browser page's renderers).
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("crmsim_language", default=None)
LANGUAGE_VARIABLE = "CRMSIM_LANG"


class LanguageError(ValueError):
    """A language crmsim has no catalogue for; the message says which it has."""


def check(lang: str) -> str:
    if lang not in LANGUAGES:
        raise LanguageError(f"unknown language {lang!r}; allowed: {', '.join(LANGUAGES)}")
    return lang


@functools.cache
def translations(lang: str) -> NullTranslations:
    """The catalogue of ``lang`` (English: none, the source strings are English)."""
    check(lang)
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == "en" or not po.is_file():
        return NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


@contextlib.contextmanager
def language(lang: str) -> Iterator[None]:
    """Within the block, :func:`_` translates into ``lang`` ('en' or 'fr')."""
    token = _current.set(check(lang))
    try:
        yield
    finally:
        _current.reset(token)


def current() -> str:
    """The language texts are rendered in now: the context's, else the process's, else English."""
    chosen = _current.get()
    if chosen is not None:
        return chosen
    process = os.environ.get(LANGUAGE_VARIABLE, "en")
    return process if process in LANGUAGES else "en"


def locale_language(environ: dict[str, str] | None = None) -> str:
    """The language the user's locale asks for, as POSIX reads it (LC_ALL, then LC_MESSAGES, then LANG).

    >>> locale_language({"LANG": "fr_FR.UTF-8"}), locale_language({"LC_ALL": "C", "LANG": "fr_FR"})
    ('fr', 'en')
    """
    environ = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            code = value.split(".")[0].split("_")[0].lower()
            return code if code in LANGUAGES else "en"
    return "en"


def _(message: str) -> str:
    """``message`` in the current language (itself when there is no translation)."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current()).ngettext(singular, plural, n)


def number(value: float, digits: int = 3) -> str:
    """``value`` with ``digits`` decimals, as the current language writes it (0.462 / 0,462); "–" if undefined."""
    if not math.isfinite(value):
        return "–"
    return format_decimal(value, format=f"#,##0.{'0' * digits}" if digits else "#,##0", locale=current())


def difference(value: float) -> str:
    """A difference's size, with one more decimal when three would show 0.000 (a small but clear change).

    >>> difference(0.0214), difference(0.00042)
    ('0.021', '0.0004')
    """
    return number(value, 3 if abs(value) >= 0.0005 or value == 0 else 4)


def percent(value: float, digits: int = 0) -> str:
    """A share as a percentage, as the current language writes it (46% / 46 %); "–" if undefined."""
    if not math.isfinite(value):
        return "–"
    return format_percent(value, format=f"#,##0.{'0' * digits}%" if digits else "#,##0%", locale=current())
