"""Turns the pinned raw files under data/<source>/raw/ into data/<source>/<source>.tsv.

Run: python data/convert.py   (standard library only; docs/data.md lists every source)

Each .tsv has the header `label<TAB>text`, label one of spam, abuse, clean; tabs and line breaks
inside a text become spaces; empty texts and repeated (label, text) rows are dropped.
"""

from __future__ import annotations

import csv
import html
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

DATA = Path(__file__).resolve().parent
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def clean(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


def sms_spam_collection() -> Iterator[tuple[str, str]]:
    """UCI SMS Spam Collection v.1: `ham|spam<TAB>text` per line."""
    with (DATA / "sms_spam_collection/raw/SMSSpamCollection").open(encoding="utf-8") as file:
        for line in file:
            label, _, text = line.rstrip("\n").partition("\t")
            if label in ("ham", "spam"):
                yield ("spam" if label == "spam" else "clean"), clean(text)


def youtube_spam_collection() -> Iterator[tuple[str, str]]:
    """UCI YouTube Spam Collection: five CSVs, CONTENT and CLASS (1 spam, 0 not)."""
    for path in sorted((DATA / "youtube_spam_collection/raw").glob("Youtube0*.csv")):
        with path.open(encoding="utf-8", newline="") as file:
            for row in csv.DictReader(file):
                label = row.get("CLASS", row.get("label", "")).strip()
                text = html.unescape(_BREAK.sub(" ", row["CONTENT"]))
                yield ("spam" if label == "1" else "clean"), clean(text)


def write(source: str, rows: Iterable[tuple[str, str]]) -> int:
    kept = sorted({(label, text) for label, text in rows if text})
    with (DATA / source / f"{source}.tsv").open("w", encoding="utf-8") as file:
        file.write("label\ttext\n")
        file.writelines(f"{label}\t{text}\n" for label, text in kept)
    return len(kept)


def main() -> None:
    for source, rows in (("sms_spam_collection", sms_spam_collection()),
                         ("youtube_spam_collection", youtube_spam_collection())):
        print(f"{source}: {write(source, rows)} rows")


if __name__ == "__main__":
    main()
