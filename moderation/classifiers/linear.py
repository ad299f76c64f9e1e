"""The shipped text models: one vocabulary, one linear head per category, applied in pure Python.

Trained offline by `python -m training.train` (scikit-learn: binary TF-IDF over
`features.features`, l2-normalized, logistic regression per head); the file keeps, per feature,
its idf² and idf × weight for each head. Applying that to one comment is a few dozen dictionary
look-ups, where scikit-learn's input checks alone cost milliseconds per call. Nothing is
downloaded: the file ships in the package.
"""

from __future__ import annotations

import functools
import gzip
import json
import math
from dataclasses import dataclass
from pathlib import Path

from moderation.classifiers.features import PIECES_FROM, features, without_links, words_of_feature
from moderation.text.normalize import normalize

MODEL_FILE = Path(__file__).parent / "text_model.json.gz"
# The last model, text (the object itself) and scores: two rules ask for the same comment's.
_last_scores: tuple[object, str, Scores | None] = (None, "", None)


# Log-odds past this say nothing more to a threshold, and would drown every other signal shown.
MAX_LOGIT = 6.0
# A word is shown as a reason when it adds at least this many points, and this share of the top
# word's.
MIN_SHOWN = 0.5
SHOWN_SHARE = 0.3
# Words that weigh in the score but explain nothing to a moderator.
NOT_SHOWN = frozenset("""
the and for you your are was were this that with from have has not but all our out its his her
they them what who how why when where will would can could there here just very
der die das und ist sind ein eine nicht mit von den dem des sie ihr wir ich du auch noch nur
""".split())


@dataclass(frozen=True, slots=True)
class Scores:
    """Log-odds per head (spam, abuse …), as trained, within ±MAX_LOGIT: positive means more
    likely than not."""

    logits: dict[str, float]

    def probability(self, head: str) -> float:
        return 1.0 / (1.0 + math.exp(-self.logits[head]))


@dataclass(frozen=True, slots=True)
class TextModel:
    heads: tuple[str, ...]
    # feature → (idf², idf × weight of head 0, idf × weight of head 1, …)
    weights: dict[str, tuple[float, ...]]
    intercepts: tuple[float, ...]
    about: dict
    # Rows are divided by their l2 norm, but never by less than this (see training.train).
    min_norm: float = 1.0

    def scores(self, text: str) -> Scores:
        """Every head's log-odds; the last text's are remembered (two rules ask for them)."""
        global _last_scores
        memo = _last_scores  # one read: another thread may replace it meanwhile
        if memo[0] is self and memo[1] is text and memo[2] is not None:
            return memo[2]
        scores = self._scores(text)
        _last_scores = (self, text, scores)
        return scores

    def _scores(self, text: str) -> Scores:
        rows = [row for row in map(self.weights.get, features(text)) if row is not None]
        if not rows:
            return Scores({head: max(-MAX_LOGIT, min(MAX_LOGIT, intercept))
                           for head, intercept in zip(self.heads, self.intercepts)})
        # Column sums in C: idf² (for the l2 norm), then each head's weights.
        squared, *sums = map(sum, zip(*rows))
        norm = max(math.sqrt(squared), self.min_norm)
        return Scores({head: max(-MAX_LOGIT, min(MAX_LOGIT, total / norm + intercept))
                       for head, total, intercept in zip(self.heads, sums, self.intercepts)})

    def top_words(self, text: str, head: str, limit: int = 5) -> list[tuple[str, float]]:
        """The words that pushed `head` up the most, with their share of the log-odds."""
        index = self.heads.index(head) + 1
        weights = self.weights
        found = features(text)
        squared = sum(weights[f][0] for f in found if f in weights)
        norm = max(math.sqrt(squared), self.min_norm)
        # A pair's or run's weight is shared by its words: "lock your doors" holds as a phrase.
        shared: dict[str, float] = {}
        for feature in found:
            if feature.startswith(("b:", "t:")) and (row := weights.get(feature)) is not None:
                words = words_of_feature(feature)
                for word in words:
                    shared[word] = shared.get(word, 0.0) + row[index] / len(words)
        by_word: dict[str, float] = {}
        linkless = without_links(text)
        for word in dict.fromkeys(normalize(linkless, remember=linkless is text).split()):
            total = shared.get(word, 0.0)
            row = weights.get(f"w:{word}")
            if row is not None:
                total += row[index]
            if len(word) >= PIECES_FROM:
                bounded = f"<{word}>"
                for i in range(len(bounded) - 3):
                    row = weights.get(f"p:{bounded[i:i + 4]}")
                    if row is not None:
                        total += row[index]
            by_word[word] = total / norm
        ranked = sorted(((w, c) for w, c in by_word.items()
                         if c >= MIN_SHOWN and w not in NOT_SHOWN and len(w) > 2),
                        key=lambda wc: -wc[1])
        if not ranked:
            return []
        # The words that carry the score, not every word that leans its way ("and", "a").
        floor = SHOWN_SHARE * ranked[0][1]
        return [(w, round(c, 2)) for w, c in ranked[:limit] if c >= floor]


def read_model(path: Path) -> TextModel:
    with gzip.open(path, "rt", encoding="utf-8") as file:
        saved = json.load(file)
    return TextModel(
        heads=tuple(saved["heads"]),
        weights={feature: tuple(row) for feature, row in saved["weights"].items()},
        intercepts=tuple(saved["intercepts"]),
        about=saved.get("about", {}),
        min_norm=saved.get("min_norm", 1.0),
    )


@functools.cache
def load_model() -> TextModel:
    """The shipped model, read once per process."""
    return read_model(MODEL_FILE)
