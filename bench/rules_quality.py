"""How well the rules stop spam and abuse, and how often they stop clean comments.

Run: .venv/bin/python bench/rules_quality.py [--split test|dev|holdout] [-v] [--sweep]

Every text of the chosen split (training/corpus.py: a fixed hash of its words puts it in train,
dev or test; the models were fitted on train only, thresholds chosen on dev) goes through the
real pipeline (`pipeline.judge`) with the site defaults and the default word lists, as a first
comment without history. Stopped means held or rejected. Two scenarios:

- fresh site: nothing learned from moderators;
- after 200 moderator decisions: the site's own classifier (learned_spam, the same tokens and
  score as the PostgreSQL one, kept in memory here) has learned 200 decisions taken on texts of
  the train split (rejected: spam and abuse; approved: clean), as moderators would.

Per source, per label and per kind: how many texts, how many stopped, precision of "stopped" and
the share of clean text stopped. `--sweep` prints, on the split, recall and false alarms for a
range of combined thresholds (that is how the defaults were chosen, on dev).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from moderation.judging.pipeline import judge
from moderation.review import learned_spam
from moderation.rules import rules_for
from moderation.rules.base import Item, SiteView
from moderation.rules.combined import totals
from moderation.rules.facts.comments import Evidence
from moderation.sites.settings import SiteSettings
from moderation.text.default_wordlists import BANNED, SUSPECT
from moderation.text.wordlists import compile_wordlist
from training.corpus import Example, load

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
DECISIONS = 200
SEED = 7


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
        counts = {t: (self.tokens[t][0], self.tokens[t][1])
                  for t in learned_spam.tokens(text) if t in self.tokens}
        score, spammy = learned_spam.spam_probability(counts, *self.totals)
        return Evidence(self.totals[0], self.totals[1], score, tuple(spammy))


def site_view(rules: dict | None = None) -> SiteView:
    settings = SiteSettings.model_validate({"rules": rules or {}})
    return SiteView("bench", settings, settings.rule_params(),
                    {"banned": compile_wordlist(BANNED, 1), "suspect": compile_wordlist(SUSPECT, 1)})


def moderated(examples: list[Example]) -> InMemoryClassifier:
    """A site's classifier after its moderators decided DECISIONS comments of the train split,
    in the proportions a comment section sees (about one in five stopped)."""
    rng = random.Random(SEED)
    bad = [e for e in examples if e.split == "train" and e.label != "clean"]
    good = [e for e in examples if e.split == "train" and e.label == "clean"]
    chosen = rng.sample(bad, DECISIONS // 5) + rng.sample(good, DECISIONS - DECISIONS // 5)
    classifier = InMemoryClassifier()
    for example in chosen:
        classifier.train(example.text, example.label != "clean")
    return classifier


class Outcome:
    __slots__ = ("example", "status", "sums", "why", "verdicts")

    def __init__(self, example: Example, status: str, sums: dict[str, float], why: str,
                 verdicts: tuple) -> None:
        self.example, self.status, self.sums, self.why = example, status, sums, why
        self.verdicts = verdicts

    @property
    def stopped(self) -> bool:
        return self.status != "approved"


def run(examples: list[Example], site: SiteView,
        classifier: InMemoryClassifier | None) -> list[Outcome]:
    rules = rules_for("comment")
    outcomes = []
    for n, example in enumerate(examples):
        item = Item("comment", "bench", n, 1, NOW, commenter=f"anon:{n}", thread="t",
                    body=example.text)
        facts = {"learned_spam": classifier.evidence(example.text)} if classifier else {}
        judgement = judge(item, site, site.params, rules, facts, NOW)
        outcomes.append(Outcome(example, judgement.status, totals(judgement.verdicts),
                                judgement.reason, judgement.verdicts))
    return outcomes


def table(outcomes: list[Outcome], verbose: bool) -> dict[str, float]:
    groups: dict[tuple[str, str, str], list[Outcome]] = defaultdict(list)
    for o in outcomes:
        e = o.example
        groups[(e.source, e.label, e.kind or "-")].append(o)
    print(f"  {'source':26} {'label':6} {'kind':20} {'texts':>6} {'stopped':>8}")
    for (source, label, kind), rows in sorted(groups.items()):
        stopped = sum(o.stopped for o in rows)
        print(f"  {source:26} {label:6} {kind:20} {len(rows):6} {stopped / len(rows):8.1%}")
    overall: dict[str, float] = {}
    print()
    for label in ("spam", "abuse", "clean"):
        rows = [o for o in outcomes if o.example.label == label]
        if not rows:
            continue
        stopped = sum(o.stopped for o in rows)
        overall[label] = stopped / len(rows)
        by_source = Counter(o.example.source for o in rows)
        worst = max(by_source, key=lambda s: (sum(o.stopped for o in rows if o.example.source == s)
                                               / by_source[s]) * (1 if label == "clean" else -1))
        print(f"  {label:6} stopped {stopped}/{len(rows)} = {overall[label]:.1%}"
              f"   (sources: {len(by_source)}, worst: {worst})")
    stopped_all = [o for o in outcomes if o.stopped]
    if stopped_all:
        precision = sum(o.example.label != "clean" for o in stopped_all) / len(stopped_all)
        print(f"  precision of stopped: {precision:.1%} of {len(stopped_all)} stopped were spam"
              f" or abuse")
    if verbose:
        for o in outcomes:
            wrong = o.stopped == (o.example.label == "clean")
            if wrong:
                what = "FALSE ALARM" if o.stopped else "missed"
                print(f"    {what} [{o.example.source}/{o.example.label}/{o.example.kind}] "
                      f"{o.example.text[:120]!r} sums={ {k: round(v, 1) for k, v in o.sums.items()} }"
                      f" {o.why[:160]}")
    return overall


def sweep(outcomes: list[Outcome]) -> None:
    """Recall of each bad label and clean stopped, for combined thresholds on both sums."""
    hard = [o for o in outcomes if o.stopped and "combined" not in o.why.split(":")[0]
            and not o.why.startswith("combined")]
    hard_ids = {id(o) for o in hard}
    print("  threshold  spam caught  abuse caught  clean stopped")
    for threshold in (-0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0):
        caught = Counter()
        for o in outcomes:
            if id(o) in hard_ids or max(o.sums.values()) >= threshold:
                caught[o.example.label] += 1
        size = Counter(o.example.label for o in outcomes)
        print(f"  {threshold:9.1f}  {caught['spam'] / size['spam']:11.1%}  "
              f"{caught['abuse'] / size['abuse']:12.1%}  {caught['clean'] / size['clean']:13.2%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("test", "dev", "holdout"), default="test")
    parser.add_argument("-v", "--verbose", action="store_true", help="list misses and false alarms")
    parser.add_argument("--sweep", action="store_true")
    args = parser.parse_args()
    examples = load()
    chosen = [e for e in examples if e.split == args.split]
    site = site_view()
    results = {}
    for scenario, classifier in (("fresh site", None),
                                 (f"after {DECISIONS} moderator decisions", moderated(examples))):
        print(f"\n== {args.split} split, {len(chosen)} texts: {scenario}")
        outcomes = run(chosen, site, classifier)
        results[scenario] = table(outcomes, args.verbose)
        if args.sweep and args.split == "dev":  # thresholds are chosen on dev, never on test
            sweep(outcomes)
    print("\nTargets: spam stopped ≥ 95 %, abuse stopped ≥ 90 %, clean stopped ≤ 1 %")
    for scenario, overall in results.items():
        verdict = all((overall.get("spam", 1) >= 0.95, overall.get("abuse", 1) >= 0.90,
                       overall.get("clean", 0) <= 0.01))
        print(f"  {scenario:36} spam {overall.get('spam', 0):6.1%}  abuse "
              f"{overall.get('abuse', 0):6.1%}  clean {overall.get('clean', 0):6.2%}  "
              f"{'met' if verdict else 'NOT met'}")


if __name__ == "__main__":
    main()
