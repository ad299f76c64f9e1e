"""toxicity: how abusive a comment reads, as evidence for the combined score (`abuse` points).

Two offline models, both shipped: the abuse head of the project's own text model
(moderation.classifiers, English and German, trained by `python -m training.train`), and the
linear model that the `alt-profanity-check` package ships (English swearing and insults, trained
on far more English text than ours). The rule's points are the first model's log-odds, raised
toward the second's when it is very sure, so that an English insult the small model misses still
counts. The words that pushed the score up come with the verdict and their spans are highlighted.

The profanity model scores a lone mild word of criticism as abuse ("The councillor's response was
pathetic, frankly." 0.98). Its contribution is left out when the text without its `mild_words`
falls under its threshold and addresses nobody ("you", "your", "du", "dich" …).

Threats, death wishes and dehumanizing phrases are the `threats` rule's, which holds them alone.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from pydantic import Field, field_validator

from moderation.classifiers.linear import load_model as load_text_model
from moderation.rules.base import Rule, RuleContext, RuleParams, Verdict, evidence
from moderation.text.normalize import normalize

NAME = "toxicity"

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # the vectorizer's token_pattern
# The model is English. In German text, "die" (the) and "hell" (bright) are not what it thinks,
# so they are dropped there ("Wann wird die Straßenbahn verlängert?" is no threat).
_GERMAN_MARKERS = frozenset(
    "der das und ist nicht ein eine einen wird sind wann wie mit auf fur den dem des sich auch "
    "noch nur ich du wir ihr sie es zu von bei aber oder wenn dass schon sehr".split())
_GERMAN_FALSE_FRIENDS = frozenset(("die", "hell"))

# Criticism that the model takes for abuse when nothing else in the text is abusive.
MILD_WORDS = tuple("""
pathetic stupid stupidest dumb dumber dumbest ridiculous silly lame sucks useless garbage rubbish
awful terrible lazy hell damn dumm blod bescheuert lacherlich
""".split())
# Words that address or point at a person — the reader, the author, "he", "she": mild words
# aimed at a person are not softened.
_ADDRESSED = frozenset("""
you your youre yours yourself yourselves ya u ur he him his she her hers author authors writer
writers journalist journalists reporter reporters editor editors columnist guy du dich dir dein
deine deinen deinem deiner ihr euch euer eure er ihn ihm autor autorin journalist journalistin
schreiberling
""".split())


@dataclass(frozen=True, slots=True)
class ToxicityModel:
    """A linear text classifier: TF-IDF, k linear scores, k sigmoid calibrations averaged.

    Applied to English text it gives what the packaged classifier gives; in German text it drops
    the English model's false friends ("die").
    """

    # word → (idf², idf × weight of fold 1, …, idf × weight of fold k)
    weights: dict[str, tuple[float, ...]]
    intercepts: tuple[float, ...]
    # (a, b) per fold: p = 1 / (1 + exp(a × score + b))
    calibration: tuple[tuple[float, float], ...]

    def probability(self, text: str) -> float:
        weights = self.weights
        counts = Counter(_TOKEN.findall(text.lower()))
        german = len(_GERMAN_MARKERS.intersection(counts)) >= 2
        rows: list[tuple[float, ...]] = []
        for word, count in counts.items():
            row = None if german and word in _GERMAN_FALSE_FRIENDS else weights.get(word)
            if row is not None:
                rows.append(row if count == 1 else (count * count * row[0],
                                                    *(count * w for w in row[1:])))
        if not rows:
            scores: list[float] = [0.0] * len(self.intercepts)
            norm = 1.0
        else:
            # Column sums in C: squared idf (the l2 norm), then each fold's linear score.
            squared, *scores = map(math.fsum, zip(*rows))
            norm = math.sqrt(squared)
        total = 0.0
        for score, intercept, (a, b) in zip(scores, self.intercepts, self.calibration):
            total += 1.0 / (1.0 + math.exp(a * (score / norm + intercept) + b))
        return total / len(self.intercepts)


@functools.cache
def load_model() -> ToxicityModel:
    """Reads the model shipped in the alt-profanity-check wheel, once per process."""
    from importlib import resources

    import joblib

    data = resources.files("profanity_check") / "data"
    with resources.as_file(data / "vectorizer.joblib") as path:
        vectorizer = joblib.load(path)
    with resources.as_file(data / "model.joblib") as path:
        classifier = joblib.load(path)
    folds = classifier.calibrated_classifiers_
    idf = vectorizer.idf_
    coefs = [fold.estimator.coef_[0] for fold in folds]
    weights = {word: (float(idf[i] ** 2), *(float(idf[i] * coef[i]) for coef in coefs))
               for word, i in vectorizer.vocabulary_.items()}
    return ToxicityModel(
        weights=weights,
        intercepts=tuple(float(fold.estimator.intercept_[0]) for fold in folds),
        calibration=tuple((float(fold.calibrators[0].a_), float(fold.calibrators[0].b_))
                          for fold in folds),
    )


class ToxicityParams(RuleParams):
    # `score` adds evidence to the combined rule; `hold` or `reject` decide alone over `threshold`.
    action: Literal["score", "hold", "reject"] = "score"
    threshold: float = Field(default=0.92, gt=0.0, lt=1.0)
    # How much the profanity model may add, in log-odds points, when it is surer than `threshold`.
    # 0 by default: on the dev split it added no recall that did not cost clean comments.
    profanity_weight: float = Field(default=0.0, ge=0.0, le=10.0)
    # Kept so that stored settings still load; threats are the `threats` rule's now.
    patterns: bool = True
    # The profanity model's contribution is dropped when leaving these out brings it under the
    # threshold and nobody is addressed; () counts them like any other word.
    mild_words: tuple[str, ...] = Field(default=MILD_WORDS, max_length=1000)

    @field_validator("mild_words")
    @classmethod
    def normalized_words(cls, words: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w for w in map(normalize, words) if w))


def profanity(words: str, params: ToxicityParams) -> float:
    """The profanity model's probability, or 0 when only mild words aimed at nothing make it."""
    model = load_model()
    probability = model.probability(words)
    if probability > params.threshold and params.mild_words:
        tokens = words.split()
        if _ADDRESSED.isdisjoint(tokens) and any(w in params.mild_words for w in tokens):
            softened = model.probability(" ".join(w for w in tokens if w not in params.mild_words))
            if softened <= params.threshold:
                return 0.0
    return probability


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def check(ctx: RuleContext, params: ToxicityParams) -> Verdict:
    body = ctx.item.body
    words = normalize(body)
    ours = load_text_model().scores(body).logits["abuse"]
    sure = profanity(words, params) if params.profanity_weight or params.action != "score" else 0.0
    extra = (max(0.0, logit(sure) - logit(params.threshold)) * params.profanity_weight
             if sure > params.threshold else 0.0)
    points = ours + extra
    probability = 1.0 / (1.0 + math.exp(-points))
    if params.action != "score":
        if probability <= params.threshold:
            return Verdict(NAME, "allow", round(probability, 3))
        return Verdict(NAME, params.action, round(probability, 3),
                       f"abusive language, probability {probability:.2f}",
                       {"probability": round(probability, 3)})
    parts = {"model": round(ours, 2), "profanity": round(extra, 2)}
    if points <= 0:
        return evidence(NAME, "abuse", points, "", {"parts": parts})
    return evidence(NAME, "abuse", points, f"reads as abusive ({probability:.2f})",
                    {"probability": round(probability, 3), "parts": parts})


def explain(body: str, verdict: Verdict) -> dict:
    """The words that made the abuse model's score."""
    words = [w for w, _ in load_text_model().top_words(body, "abuse")]
    return {"words": words, "phrases": words}


RULE = Rule(NAME, frozenset({"comment"}), ToxicityParams, check,
            warm_up=lambda: (load_model(), load_text_model()), explain=explain)
