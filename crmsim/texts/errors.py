"""An error's one line in the current language, as far as its house form allows.

Every refusal in crmsim names where and what: ``FILE: field: got 1.5;
allowed: a number from 0 to 1``. The validators that write them (the
scenario's, in ``model/``) build English text, so the command line
translates the parts of that form it knows: the words of the form itself
("got", "allowed", "no such file", "unknown field" ...) and what is allowed,
when the catalogue has it (a parameter's range, as ``crmsim new-scenario``
writes it). File names, fields and values stay as they are. A line in any
other form is shown as written: translated in part, never wrongly.

>>> from crmsim.texts.i18n import language
>>> with language("fr"):
...     error_text("my.toml: levers.faq_quality: got 1.5; allowed: a number from 0 to 1")
'my.toml: levers.faq_quality : reçu 1.5 ; permis : un nombre de 0 à 1'
"""

from __future__ import annotations

import re

from crmsim.texts.i18n import _, current, ngettext

__all__ = ["error_text"]

_MORE = re.compile(r"^(?P<line>.*) \(and (?P<n>\d+) more problems?\)$")
_FORMS = (
    (re.compile(r"^(?P<where>.*?): got (?P<value>.*); allowed: (?P<allowed>.*)$"),
     lambda m: _("{where}: got {value}; allowed: {allowed}").format(where=m["where"], value=m["value"],
                                                                   allowed=_(m["allowed"]))),
    (re.compile(r"^(?P<where>.*?): unknown field; allowed here: (?P<allowed>.*)$"),
     lambda m: _("{where}: unknown field; allowed here: {allowed}").format(where=m["where"], allowed=m["allowed"])),
    (re.compile(r"^(?P<where>.*?): missing; expected (?P<allowed>.*)$"),
     lambda m: _("{where}: missing; expected {allowed}").format(where=m["where"], allowed=_(m["allowed"]))),
    (re.compile(r"^(?P<where>.*?): no such file$"), lambda m: _("{where}: no such file").format(where=m["where"])),
)


def error_text(message: str) -> str:
    """``message`` (one line in the house form) in the current language; English is returned as it is."""
    if current() == "en":
        return message
    more = _MORE.match(message)
    line = more["line"] if more else message
    for form, say in _FORMS:
        match = form.match(line)
        if match:
            line = say(match)
            break
    if more:
        n = int(more["n"])
        line += " " + ngettext("(and {n} more problem)", "(and {n} more problems)", n).format(n=n)
    return line
