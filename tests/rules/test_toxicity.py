"""The toxicity rule on a small hand-labelled set of news comments (English and German).

The set also chose the default threshold: see `test_default_threshold_separates_the_set`.
"""

import pytest

from moderation.rules.toxicity import ToxicityParams, check, hateful_phrase, load_model
from moderation.text.normalize import normalize
from tests.rules.factories import make_context

CLEAN = [
    "Great article, thanks for the context on the budget vote.",
    "I disagree with the author on taxes, but the numbers are presented fairly.",
    "The council should publish the minutes of that meeting.",
    "My grandmother lived in Scunthorpe for forty years and never saw this.",
    "This is a classic example of short-term thinking by the ministry.",
    "I gave the new restaurant 5 stars, the review is spot on.",
    "Could you add a link to the original report? e.g. the U.S. study.",
    "The assassination of the archduke is covered well in chapter three.",
    "Killian Jones writes the best pieces on transport policy.",
    "Why does nobody talk about the cost of the new bridge?",
    "I hate it when the trains are late, which is every day now.",
    "That referee was terrible, the penalty was a joke.",
    "The hospital staff deserve better pay, they work so hard.",
    "Interesting, but you left out what happened in 2019.",
    "Dickens would have had a field day with this story.",
    "Ich finde den Artikel sehr gut recherchiert, danke.",
    "Die Überschrift ist übertrieben, der Text selbst ist sachlich.",
    "Wann wird die Straßenbahn endlich verlängert?",
    "This policy will kill small businesses in the region.",
    "The attack on the data centre was stopped by the firewall.",
    "Stupid question maybe, but who pays for the stadium?",
    "The war in that region has displaced millions of people.",
    "Rats are a growing problem in the city centre, residents say.",
    "Shoot me an email if you want the full data set.",
]
TOXIC = [
    "you are a fucking idiot",
    "what a load of shit, the author is a moron",
    "go to hell you moron",
    "shut the f*** up you stupid bitch",
    "this writer is a worthless piece of crap",
    "sh1t article by a r3tard",
    "f u c k you and your paper",
    "kill yourself",
    "I will find you and hurt you",
    "immigrants are vermin and should be deported",
    "they are animals, all of them",
    "you should be hanged for writing this",
    "go back to your country",
    "I hope you die",
    "Halt die Fresse, du Arschloch",
    "Diese Leute sind Ungeziefer",
    "Verreck doch",
    "Du Hurensohn",
    "Solche Politiker gehören an die Wand gestellt",
    "eat shit and die",
]


def probability(text: str) -> float:
    return load_model().probability(normalize(text))


def test_model_matches_the_packaged_classifier():
    from profanity_check import predict_prob

    texts = CLEAN[:5] + TOXIC[:5]
    for text, expected in zip(texts, predict_prob(texts)):
        assert load_model().probability(text) == pytest.approx(expected, abs=1e-9)


def test_model_loads_once():
    assert load_model() is load_model()


def test_default_threshold_separates_the_set():
    threshold = ToxicityParams().threshold
    params = ToxicityParams()
    flagged_clean = [t for t in CLEAN if check(make_context(t), params).action != "allow"]
    missed_toxic = [t for t in TOXIC if check(make_context(t), params).action == "allow"]
    assert flagged_clean == []
    # The German insults the English model does not know belong in the suspect list.
    assert missed_toxic == ["Halt die Fresse, du Arschloch", "Du Hurensohn"]
    assert max(probability(t) for t in CLEAN) < threshold


@pytest.mark.parametrize(("text", "kind"), [
    ("kill yourself", "self-harm incitement"),
    ("I'll find you", "threat"),
    ("they are all vermin", "dehumanizing"),
    ("Flüchtlinge sind Tiere", "dehumanizing"),
    ("you should be shot", "wish of harm"),
    ("Go back to where you came from", "go back"),
])
def test_hateful_phrases(text, kind):
    found = hateful_phrase(normalize(text))
    assert found is not None and found[0] == kind


@pytest.mark.parametrize("text", ["Rats are a problem in the city", "This will kill the budget",
                                  "I hope you enjoy the summer", "They are animal lovers"])
def test_hateful_phrases_spare_ordinary_text(text):
    assert hateful_phrase(normalize(text)) is None


def test_verdict_details():
    verdict = check(make_context("you are a fucking idiot"), ToxicityParams())
    assert verdict.action == "hold" and verdict.details["probability"] > 0.99
    verdict = check(make_context("they are vermin"), ToxicityParams())
    assert verdict.details == {"matched": ["they are vermin"], "kind": "dehumanizing"}
    assert check(make_context("they are vermin"), ToxicityParams(patterns=False)).action == "allow"


@pytest.mark.parametrize("text", [
    "The councillor's response was pathetic, frankly.",
    "Stupid.its not possible",
    "This decision is ridiculous and lazy.",
    "Die Entscheidung ist einfach lächerlich.",
])
def test_mild_criticism_of_a_thing_is_allowed(text):
    assert check(make_context(text), ToxicityParams()).action == "allow"


@pytest.mark.parametrize("text", [
    "You are pathetic",
    "your response was pathetic",
    "The author is pathetic",
    "he is so stupid",
    "pathetic stupid dumb idiot",  # the insult is not a mild word: the score stays high
])
def test_mild_words_aimed_at_a_person_are_held(text):
    assert check(make_context(text), ToxicityParams()).action == "hold"


def test_mild_words_can_be_held_like_any_other():
    params = ToxicityParams(mild_words=())
    assert check(make_context("The response was pathetic, frankly."), params).action == "hold"
    assert ToxicityParams(mild_words=("Lächerlich", " ")).mild_words == ("lacherlich",)
