"""Times normalization and the text rules over 10,000 varied comments on one core.

Run: PYTHONPATH=. .venv/bin/python bench/rules_micro.py
"""

import random
import time
from datetime import UTC, datetime

from moderation.default_wordlists import BANNED, SUSPECT
from moderation.normalize import word_forms
from moderation.rules import banned_words, links, shouting, suspect_words, toxicity
from moderation.rules.base import Item, RuleContext, SiteView
from moderation.wordlists import compile_wordlist

SENTENCES = [
    "I think the author makes some good points about the budget.",
    "But the council's 2024 plan misses the cost of the new bridge!",
    "Ich finde den Artikel über die Straßenbahn großartig.",
    "e.g. the U.S. comparison is not fair, prices rose 3.5 percent.",
    "See https://example.com/report and www.stats.gov.uk for data.",
    "THIS IS AN OUTRAGE!!!!!!!!!!",
    "buy ch3ap v-i-a-g-r-a at раypal.com now",
    "What a load of sh1t, you idiot.",
    "Great article 👍 thanks.",
    "Scunthorpe and Dickens fans gave it 5 stars.",
    "They should all be hanged.",
    "Die Überschrift ist übertrieben, aber sachlich.",
]


def comments(n: int) -> list[str]:
    rng = random.Random(7)
    return [" ".join(rng.choices(SENTENCES, k=rng.randint(1, 6))) for _ in range(n)]


def main() -> None:
    bodies = comments(10_000)
    print(f"{len(bodies)} comments, mean {sum(map(len, bodies)) / len(bodies):.0f} chars")
    site = SiteView("ustv", None, wordlists={"banned": compile_wordlist(BANNED, 1),
                                             "suspect": compile_wordlist(SUSPECT, 1)})
    now = datetime.now(UTC)
    contexts = [RuleContext(Item("comment", "ustv", i, 1, now, body=body), site, now)
                for i, body in enumerate(bodies)]
    toxicity.load_model()
    rules = [(r.RULE, r.RULE.params()) for r in (banned_words, links, suspect_words, shouting)]
    tox = (toxicity.RULE, toxicity.RULE.params())

    start = time.perf_counter()
    for body in bodies:
        word_forms(body)
    elapsed = time.perf_counter() - start
    print(f"word_forms: {elapsed / len(bodies) * 1e6:.1f} µs/comment")

    for name, chosen in (("each rule alone", None), ("without toxicity", rules),
                         ("with toxicity", [*rules, tox])):
        if chosen is None:
            for rule, params in [*rules, tox]:
                start = time.perf_counter()
                for ctx in contexts:
                    rule.check(ctx, params)
                elapsed = time.perf_counter() - start
                print(f"  {rule.name}: {elapsed / len(contexts) * 1e6:.1f} µs/comment")
            continue
        start = time.perf_counter()
        for ctx in contexts:
            for rule, params in chosen:
                rule.check(ctx, params)
        elapsed = time.perf_counter() - start
        print(f"{name}: {len(contexts) / elapsed:,.0f} comments/s")


if __name__ == "__main__":
    main()
