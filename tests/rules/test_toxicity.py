"""toxicity: the abuse models' evidence for the combined score, and the packaged model's parity."""

import pytest

from moderation.rules.toxicity import ToxicityParams, check, load_model
from tests.rules.factories import judge_text, make_context, shown_as_listed

CLEAN = [
    "Great article, thanks for the context on the budget vote.",
    "The council should publish the minutes of that meeting.",
    "Wann wird die Straßenbahn endlich verlängert?",
    "Ich finde den Artikel sehr gut recherchiert, danke.",
]
ABUSIVE = [
    "you are a fucking idiot",
    "what a load of shit, the author is a moron",
    "shut the f*** up you stupid bitch",
    "Halt die Fresse, du Arschloch",
    "Du Hurensohn",
]


def test_model_matches_the_packaged_classifier():
    from profanity_check import predict_prob

    # English: in German text the rule leaves out the English model's false friends ("die").
    texts = CLEAN[:2] + ABUSIVE[:3]
    for text, expected in zip(texts, predict_prob(texts), strict=True):
        assert load_model().probability(text) == pytest.approx(expected, abs=1e-9)


def test_model_loads_once():
    assert load_model() is load_model()


@pytest.mark.parametrize("text", ABUSIVE)
def test_abuse_is_evidence_with_the_words_that_made_it(text):
    verdict = check(make_context(text), ToxicityParams())
    assert (verdict.action, verdict.category) == ("allow", "abuse")
    assert verdict.points > 1.0
    judged = judge_text(text)
    assert judged.status == "held"
    shown = shown_as_listed(judged, "toxicity")
    assert shown.details["words"] and shown.details["spans"]
    assert all(0 <= start < end <= len(text) for start, end in shown.details["spans"])


@pytest.mark.parametrize("text", CLEAN)
def test_clean_text_counts_against_abuse(text):
    verdict = check(make_context(text), ToxicityParams())
    assert verdict.action == "allow" and verdict.points <= 0 and verdict.reason == ""


def test_a_site_can_make_it_decide_alone():
    params = ToxicityParams(action="hold")
    assert check(make_context("you are a fucking idiot"), params).action == "hold"
    assert check(make_context(CLEAN[0]), params).action == "allow"


def test_mild_words_of_the_profanity_model():
    assert ToxicityParams(mild_words=("Lächerlich", " ")).mild_words == ("lacherlich",)
    mild = "The councillor's response was pathetic, frankly."
    assert check(make_context(mild), ToxicityParams()).points < 1.0
    aimed = check(make_context("You are pathetic"), ToxicityParams())
    assert aimed.points > check(make_context(mild), ToxicityParams()).points
