"""The two small functions every decision goes through: combining verdicts, and the retry wait."""

import random

import pytest

from moderation.judging.pipeline import decide
from moderation.queue.jobs import backoff_s
from moderation.rules.base import Verdict, evidence


@pytest.mark.parametrize(("actions", "status"), [
    ((), "approved"),
    (("allow", "allow"), "approved"),
    (("allow", "hold"), "held"),
    (("hold", "reject", "allow"), "rejected"),
    (("reject",), "rejected"),
])
def test_the_worst_verdict_decides(actions, status):
    assert decide([Verdict(f"r{n}", a) for n, a in enumerate(actions)]) == status


def test_evidence_alone_never_decides():
    # Points are the combined rule's to add up; an evidence verdict is an allow.
    assert decide([evidence("links", "spam", 9.0, "shortener"),
                   evidence("toxicity", "abuse", 6.0, "abusive")]) == "approved"


def test_backoff_grows_and_stays_under_its_cap():
    random.seed(3)
    waits = [backoff_s(attempt, 0.5, 30.0) for attempt in range(1, 12)]
    assert all(0 < w <= 30.0 for w in waits)
    assert waits[-1] > waits[0]
    assert max(backoff_s(20, 0.5, 30.0) for _ in range(100)) <= 30.0
