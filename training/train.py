"""Trains the shipped text model from the labelled sources: `python -m training.train`.

One vocabulary (`moderation.classifiers.features`), binary TF-IDF with l2 norm, and one logistic
regression per head: spam (spam against clean and abuse) and abuse (abuse against clean and spam).
Sources differ a lot in size, so each example weighs 1 / (its source's examples of its class), and
the classes of a head weigh the same in all: a large source of tweets does not drown the news
comments. Fitted on the train split only; the dev split prints how it does. Writes
moderation/classifiers/text_model.json.gz.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections import Counter
from datetime import UTC, datetime

import numpy as np
from scipy.sparse import diags
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from moderation.classifiers.features import features
from moderation.classifiers.linear import MODEL_FILE, read_model
from training.corpus import Example, load

HEADS = ("spam", "abuse")
MIN_NORM_PERCENTILE = 20
SEED = 20261205


def weights_for(examples: list[Example], head: str) -> np.ndarray:
    per_group = Counter((e.source, e.label == head) for e in examples)
    sources_per_class = Counter(positive for _, positive in per_group)
    raw = np.array([1.0 / per_group[(e.source, e.label == head)] for e in examples])
    # Each class sums to half of the examples, each source to its class's share.
    scale = np.array([len(examples) / 2 / sources_per_class[e.label == head]
                      for e in examples])
    return raw * scale


def train(examples: list[Example], c: float, min_df: int) -> dict:
    vectorizer = TfidfVectorizer(analyzer=features, binary=True, norm=None, min_df=min_df,
                                 sublinear_tf=False, dtype=np.float64)
    raw = vectorizer.fit_transform([e.text for e in examples])
    norms = np.sqrt(np.asarray(raw.multiply(raw).sum(axis=1)).ravel())
    # Rows are l2-normalized, but never by less than a short comment's norm: one word alone
    # ("comment", "free") must not weigh as much as a whole sentence of spam.
    min_norm = float(np.percentile(norms, MIN_NORM_PERCENTILE))
    matrix = diags(1.0 / np.maximum(norms, min_norm)) @ raw
    idf = vectorizer.idf_
    coefs, intercepts = [], []
    for head in HEADS:
        target = np.array([e.label == head for e in examples])
        model = LogisticRegression(C=c, max_iter=3000, solver="liblinear", random_state=SEED)
        model.fit(matrix, target, sample_weight=weights_for(examples, head))
        coefs.append(model.coef_[0])
        intercepts.append(float(model.intercept_[0]))
    weights = {}
    for feature, index in vectorizer.vocabulary_.items():
        row = [round(float(idf[index] ** 2), 5)]
        row += [round(float(idf[index] * coef[index]), 5) for coef in coefs]
        weights[feature] = row
    return {"heads": list(HEADS), "intercepts": intercepts, "weights": weights,
            "min_norm": round(min_norm, 4)}


def report(examples: list[Example], path) -> None:
    model = read_model(path)
    for head in HEADS:
        for source in sorted({e.source for e in examples}):
            rows = [e for e in examples if e.source == source]
            positives = [e for e in rows if e.label == head]
            negatives = [e for e in rows if e.label != head]
            caught = sum(model.scores(e.text).probability(head) > 0.5 for e in positives)
            false = sum(model.scores(e.text).probability(head) > 0.5 for e in negatives)
            print(f"  {head:6} {source:28} caught {caught}/{len(positives)}"
                  f"  false alarms {false}/{len(negatives)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--c", type=float, default=128.0, help="inverse regularization strength")
    parser.add_argument("--min-df", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()
    examples = load()
    splits = Counter((e.source, e.label, e.split) for e in examples)
    train_set = [e for e in examples if e.split == "train"]
    print(f"{len(examples)} examples, {len(train_set)} for training")
    saved = train(train_set, args.c, args.min_df)
    saved["about"] = {
        "trained": datetime.now(UTC).strftime("%Y-%m-%d"),
        "command": "python -m training.train" + (f" --c {args.c}" if args.c != 128.0 else ""),
        "c": args.c, "min_df": args.min_df, "features": len(saved["weights"]),
        "examples": {f"{s}/{label}/{split}": n for (s, label, split), n in sorted(splits.items())},
    }
    with gzip.open(MODEL_FILE, "wt", encoding="utf-8", compresslevel=9) as file:
        json.dump(saved, file, separators=(",", ":"), sort_keys=True)
    print(f"wrote {MODEL_FILE} ({MODEL_FILE.stat().st_size // 1024} KiB, "
          f"{len(saved['weights'])} features) in {time.perf_counter() - started:.0f} s")
    print("dev split, probability > 0.5:")
    report([e for e in examples if e.split == "dev"], MODEL_FILE)


if __name__ == "__main__":
    main()
