"""Append French translations to crmsim's catalogue, skipping msgids it already has.

Usage: python tools/po_add.py PAIRS.tsv   (one "English<TAB>French" pair per line)

The catalogue is edited by several people at once; appending only what is
missing keeps every msgid once (a duplicate breaks the catalogue).
"""

import sys
from pathlib import Path

from babel.messages.pofile import read_po

PO = Path(__file__).resolve().parents[1] / "crmsim" / "locale" / "fr" / "LC_MESSAGES" / "crmsim.po"


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(pairs_file: str) -> int:
    with PO.open("rb") as f:
        known = {m.id for m in read_po(f) if m.id}
    added = []
    for line in Path(pairs_file).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        english, french = line.split("\t")
        if english not in known:
            added.append(f"\nmsgid {quote(english)}\nmsgstr {quote(french)}\n")
            known.add(english)
    with PO.open("a", encoding="utf-8") as f:
        f.write("".join(added))
    print(f"added {len(added)} translations to {PO}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
