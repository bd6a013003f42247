"""One offline HTML page of titled sections, each with text and an optional plotly figure.

The reports (a comparison, a calibration) are single files a person opens
with no network: plotly's JavaScript is embedded once, in the first figure,
and every text is escaped unless a section passes ready-made HTML (a table
built here). The page states its language (``lang``), so a browser reads a
French report as French.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["Section", "render_page", "html_table", "STYLE"]

STYLE = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1280px;padding:0 1em;color:#222;
line-height:1.45}
h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:0.2em} .note{color:#555;font-size:0.92em}
table.data{border-collapse:collapse;font-size:0.9em;margin:0.5em 0}
table.data td,table.data th{border-bottom:1px solid #ddd;padding:0.3em 0.6em;text-align:left;vertical-align:top}
table.data td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.better{color:#1a7f37;font-weight:600} .worse{color:#b42318;font-weight:600} .negligible{color:#777}
ul.verdicts li{margin:0.2em 0} div.wide{overflow-x:auto;max-width:100%}"""


@dataclass(frozen=True)
class Section:
    """A titled part of the page: ``text`` is plain text, or HTML when ``is_html``; ``figure`` is optional."""

    title: str = ""
    text: str = ""
    figure: Any = None
    is_html: bool = False
    caption: str = ""  # what to look for in the figure, under it


def html_table(table: pd.DataFrame, numeric: set[str] | frozenset[str] = frozenset(),
               classes: dict[tuple[int, str], str] | None = None) -> str:
    """A table as escaped HTML; ``numeric`` columns align right; ``classes`` styles single cells."""
    classes = classes or {}
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    rows = []
    for i, (_, row) in enumerate(table.iterrows()):
        cells = []
        for column in table.columns:
            css = " ".join(c for c in ("num" if column in numeric else "", classes.get((i, column), "")) if c)
            attr = f' class="{css}"' if css else ""
            cells.append(f"<td{attr}>{html.escape(str(row[column]))}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def render_page(title: str, intro: str, sections: list[Section], lang: str = "en", lead: str = "") -> str:
    """The whole page as text; plotly's JavaScript is embedded in the first figure only.

    ``lead`` is ready-made HTML shown right under the title, before the introduction: what a reader
    must see on the first screen (the comparison's overview)."""
    body, first = [], True
    for section in sections:
        if section.title:
            body.append(f"<h2>{html.escape(section.title)}</h2>")
        if section.text:
            body.append(section.text if section.is_html else f"<p>{html.escape(section.text)}</p>")
        if section.figure is not None:
            body.append(section.figure.to_html(full_html=False, include_plotlyjs=first,
                                               config={"displaylogo": False, "responsive": True}))
            first = False
        if section.caption:
            body.append(f'<p class="note">{html.escape(section.caption)}</p>')
    return (f'<!DOCTYPE html>\n<html lang="{html.escape(lang)}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
            f"<body><h1>{html.escape(title)}</h1>{lead}<p>{html.escape(intro)}</p>\n{''.join(body)}\n</body></html>\n")
