"""combined: evidence adds up per category; hard verdicts still decide alone."""

from moderation.rules import combined
from moderation.rules.base import Verdict, evidence
from tests.rules.factories import make_context

PARAMS = combined.CombinedParams(spam_threshold=1.0, abuse_threshold=2.0)


def judged(*verdicts: Verdict) -> Verdict:
    ctx = make_context()
    ctx.verdicts = list(verdicts)
    return combined.check(ctx, PARAMS)


def test_weak_signals_alone_publish():
    assert judged(evidence("shouting", "any", 0.4, "caps"),
                  evidence("links", "spam", 0.3, "1 link")).action == "allow"


def test_signals_add_up_to_a_hold_that_names_its_drivers():
    verdict = judged(evidence("learned_spam", "spam", 0.4, "spam model"),
                     evidence("links", "spam", 1.8, "shortener"),
                     evidence("shouting", "any", 0.4, "caps"),
                     evidence("toxicity", "abuse", -3.0, ""))
    assert verdict.action == "hold"
    assert verdict.details["category"] == "spam" and verdict.details["points"] == 2.6
    assert [s["rule"] for s in verdict.details["signals"]] == ["links", "learned_spam",
                                                                "shouting"]
    assert verdict.reason.startswith("spam 2.6 points, over 1 (links +1.8")


def test_the_reason_shows_a_threshold_as_the_site_set_it():
    ctx = make_context()
    ctx.verdicts = [evidence("toxicity", "abuse", 3.24, "abusive")]
    params = combined.CombinedParams(abuse_threshold=3.25)
    assert combined.check(ctx, params).action == "allow"
    ctx.verdicts = [evidence("toxicity", "abuse", 3.256, "abusive")]
    assert combined.check(ctx, params).reason.startswith("abuse 3.26 points, over 3.25 (")


def test_evidence_against_outweighs_evidence_for():
    # A suspect word ("Dick") in a text the model finds clean is published.
    assert judged(evidence("suspect_words", "any", 1.5, "suspect: dick"),
                  evidence("toxicity", "abuse", -2.5, ""),
                  evidence("learned_spam", "spam", -3.0, "")).action == "allow"


def test_each_category_has_its_own_threshold():
    assert judged(evidence("toxicity", "abuse", 1.5, "abusive")).action == "allow"
    assert judged(evidence("toxicity", "abuse", 2.0, "abusive")).action == "hold"


def test_nothing_to_add_after_a_reject():
    assert judged(Verdict("banned_words", "reject", 1.0, "banned: x"),
                  evidence("links", "spam", 5.0, "shortener")).action == "allow"
