"""Chooses the combined rule's defaults on the dev split: `python -m training.tune`.

Every dev text is judged once with the defaults; each evidence verdict's points are split into
what scales with a parameter (a suspect entry, the profanity model, the site's classifier) and
what does not, so that any combination of parameters is a sum, not a new judgement. Prints, for
each combination, recall per bad label and the clean texts stopped, in both scenarios of
bench/rules_quality.py, and the best combination that keeps clean stopped under --clean.
Nothing here looks at the test split.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from rules_quality import moderated, run, site_view

from moderation.rules.learned_spam import LearnedSpamParams
from moderation.rules.links import LinksParams
from moderation.rules.suspect_words import SuspectWordsParams
from training.corpus import load

SPAM_GOAL, ABUSE_GOAL = 0.95, 0.90
GRID = {
    "spam_threshold": tuple(np.arange(1.0, 6.01, 0.25).round(2)),
    "abuse_threshold": tuple(np.arange(1.0, 6.01, 0.25).round(2)),
    "suspect_points": (0.0, 0.5, 1.0, 1.5, 2.0),
    "profanity_weight": (0.0, 0.5, 1.0),
    "site_weight": (2.0, 4.0),
    "link_points": (0.0, 0.3, 0.6, 1.0, 1.5),
}


def origin(source: str) -> str:
    """Sources weigh by who wrote them: the project's hand-written batches (written, written3 …)
    together weigh as one, like each public collection of text by others."""
    return "written" if source.startswith("written") else source


def components(outcomes) -> dict[str, np.ndarray]:
    rows: dict[str, list[float]] = {k: [] for k in (
        "hard", "spam_fixed", "abuse_fixed", "any_fixed", "suspect", "profanity", "site", "link",
        "label", "source")}
    for o in outcomes:
        by_rule = {v.rule: v for v in o.verdicts}
        rows["hard"].append(float(any(v.action != "allow" and v.rule != "combined"
                                      for v in o.verdicts)))
        suspect = by_rule.get("suspect_words")
        rows["suspect"].append(len(suspect.details.get("matched", ())) if suspect and suspect.points
                               else 0)
        toxicity = by_rule.get("toxicity")
        parts = toxicity.details.get("parts", {}) if toxicity else {}
        rows["profanity"].append(parts.get("profanity", 0.0))
        learned = by_rule.get("learned_spam")
        lparts = learned.details.get("parts", {}) if learned else {}
        rows["site"].append(lparts.get("site", 0.0) / LearnedSpamParams().site_weight)
        spam_fixed = lparts.get("base", 0.0) + sum(v.points for v in o.verdicts
                                                    if v.category == "spam"
                                                    and v.rule != "learned_spam")
        links = by_rule.get("links")
        has_link = links is not None and links.points > 0
        rows["link"].append(float(has_link))
        if has_link:
            spam_fixed -= LinksParams().link_points
        abuse_fixed = parts.get("model", 0.0) + sum(v.points for v in o.verdicts
                                                    if v.category == "abuse"
                                                    and v.rule != "toxicity")
        any_fixed = sum(v.points for v in o.verdicts if v.category == "any"
                        and v.rule != "suspect_words")
        rows["spam_fixed"].append(spam_fixed)
        rows["abuse_fixed"].append(abuse_fixed)
        rows["any_fixed"].append(any_fixed)
        rows["label"].append({"spam": 0, "abuse": 1, "clean": 2}[o.example.label])
        rows["source"].append(origin(o.example.source))
    return {k: np.array(v) for k, v in rows.items()}


def rates(c: dict[str, np.ndarray], p: dict[str, float]) -> tuple[float, float, float]:
    more = SuspectWordsParams().more_points
    suspect = np.where(c["suspect"] > 0, p["suspect_points"] + more * (c["suspect"] - 1), 0.0)
    spam = (c["spam_fixed"] + c["any_fixed"] + suspect + p["site_weight"] * c["site"]
            + p["link_points"] * c["link"])
    abuse = c["abuse_fixed"] + c["any_fixed"] + suspect + p["profanity_weight"] * c["profanity"]
    stopped = (c["hard"] > 0) | (spam >= p["spam_threshold"]) | (abuse >= p["abuse_threshold"])
    # Recall: each origin weighs the same within a label (8,000 tweets must not outvote 170 news
    # comments). Clean: every clean text counts once, as the goal is measured: a few hundred
    # video-site comments, some of them abusive, must not set the budget for all.
    clean = float(stopped[c["label"] == 2].mean())
    return _mean_over_sources(stopped, c, 0), _mean_over_sources(stopped, c, 1), clean


def _mean_over_sources(stopped: np.ndarray, c: dict[str, np.ndarray], label: int) -> float:
    chosen = c["label"] == label
    rates = [float(stopped[chosen & (c["source"] == s)].mean())
             for s in np.unique(c["source"][chosen]) if (chosen & (c["source"] == s)).sum() >= 30]
    return float(np.mean(rates)) if rates else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clean", type=float, default=0.01, help="most clean stopped allowed")
    args = parser.parse_args()
    examples = load()
    dev = [e for e in examples if e.split == "dev"]
    # The profanity model's part is computed at weight 1, then scaled by the grid.
    site = site_view({"toxicity": {"profanity_weight": 1.0}})
    scenarios = [components(run(dev, site, None)), components(run(dev, site, moderated(examples)))]
    best = None
    for values in itertools.product(*GRID.values()):
        p = dict(zip(GRID, values, strict=True))
        results = [rates(c, p) for c in scenarios]
        worst_clean = max(r[2] for r in results)
        if worst_clean > args.clean:
            continue
        spam, abuse = min(r[0] for r in results), min(r[1] for r in results)
        # The distance to the goal (95 % spam, 90 % abuse): a bare minimum spent the whole clean
        # budget on the weaker category, a sum traded a lot of one for a little more of the other.
        shortfall = max(0.0, SPAM_GOAL - spam) ** 2 + max(0.0, ABUSE_GOAL - abuse) ** 2
        score = (-shortfall, spam + abuse)
        if best is None or score > best[0]:
            best = (score, p, results)
    if best is None:
        print("no combination keeps clean under", args.clean)
        return
    score, p, results = best
    print("best:", p)
    for name, (spam, abuse, clean) in zip(("fresh", "after 200"), results, strict=True):
        print(f"  {name:10} spam {spam:.1%} abuse {abuse:.1%} clean {clean:.2%}")


if __name__ == "__main__":
    main()
