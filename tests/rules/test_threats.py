"""threats: threats, death wishes, doxxing, incitement and dehumanization hold alone (EN and DE)."""

import pytest

from moderation.rules.threats import ThreatsParams, check, find_threat, find_threats
from moderation.text.normalize import normalize
from tests.rules.factories import judge_text, make_context, shown_as_listed


@pytest.mark.parametrize(("text", "kind"), [
    ("kill yourself", "self-harm incitement"),
    ("I know where you live.", "threat"),
    ("We know which school your kids go to", "threat"),
    ("It would be a shame if something happened to your car", "threat"),
    ("Remember what happened in 1938 to people like you", "threat"),
    ("I will kill you", "threat"),
    ("I hope your whole family gets cancer", "death wish"),
    ("people like him deserve to die", "death wish"),
    ("Everyone email her and tell her what you think", "doxxing"),
    ("Her home address is 12 Elm Street, go and visit", "doxxing"),
    ("Someone should teach him a lesson", "incitement"),
    ("they are all vermin", "dehumanizing"),
    ("Go back to where you came from", "go back"),
    ("Ich weiß, wo du wohnst.", "threat"),
    ("Wir wissen, in welche Schule deine Kinder gehen", "threat"),
    ("Das wirst du noch bereuen", "threat"),
    ("Ich hoffe, deine ganze Familie verreckt", "death wish"),
    ("Solche Politiker gehören an die Wand gestellt", "death wish"),
    ("Man sollte ihn aufhängen", "incitement"),
    ("Hier ist seine Privatadresse: Hauptstraße 5", "doxxing"),
    ("Flüchtlinge sind Tiere", "dehumanizing"),
    ("Say that again and I'll smash your face in", "threat"),
    ("They can go home in body bags for all I care", "death wish"),
    ("wishing him cancer, honestly", "death wish"),
    ("just neck yourself already", "self-harm incitement"),
    ("Wenn ich den erwische, schlag ich ihn tot", "threat"),
    ("Dem wünsch ich Krebs", "death wish"),
    ("Dem Schiri gehört eine reingehauen", "incitement"),
])
def test_threats_are_held_in_both_languages(text, kind):
    verdict = check(make_context(text), ThreatsParams())
    assert verdict.action == "hold" and verdict.details["kind"] == kind
    judged = judge_text(text)
    assert judged.status == "held"
    shown = shown_as_listed(judged, "threats")
    assert shown.details["spans"], shown.details


@pytest.mark.parametrize("text", [
    "Rats are a problem in the city", "This will kill the budget", "I hope you enjoy the summer",
    "They are animal lovers", "we should take care of our elderly", "I hope they do not die",
    "the killer should get life", "Sie werden sehen, die Preise steigen",
    "Pass gut auf dich auf!", "Der Müll gehört entsorgt", "His number is 10 this season",
    "go back to your first point, it was better", "Man sollte die Bilder aufhängen",
    "The tax should be removed", "I know where you are coming from on this",
    "I'll kick your idea around with the team", "Ich wünsche ihr viel Kraft gegen den Krebs",
    "Der Schlag hat ihn zusammenzucken lassen",
    "Thousands of our soldiers were sent back in body bags from Iraq",
    "They will go home in body bags if we send troops", "Wishing her cancer treatment goes well",
    "Wishing you cancer-free years", "Ich wünsche der Krebs-Station alles Gute",
    "Da schlagen wir die Hände zusammen", "Tie a rope to yourself on the boat in a storm",
    "Den Nistkasten am nächsten Baum aufhängen", "Da schlagen wir die Zeit tot",
])
def test_ordinary_text_is_spared(text):
    assert find_threat(normalize(text)) is None


def test_the_word_shortcut_changes_no_answer_on_any_labelled_text():
    from training.corpus import load

    for example in load():
        words = normalize(example.text)
        assert list(find_threats(words)) == list(find_threats(words, prefilter=False)), example


@pytest.mark.parametrize("text", [
    "Bitte nicht verharmlosen: Wenn jemand schreibt Ich weiß, wo du wohnst, ist das eine Straftat.",
    "The journalist read out the emails she gets, like: we know where you live. Horrible.",
])
def test_a_reported_threat_is_evidence_not_a_hold(text):
    verdict = check(make_context(text), ThreatsParams())
    assert verdict.action == "allow"
    assert verdict.category == "abuse" and verdict.points == ThreatsParams().reported_points
    assert verdict.details["kind"] == "threat"


def test_a_threat_made_directly_is_held_even_beside_a_reported_one():
    text = "You wrote that we know where you live is a joke. Well: I will kill you."
    verdict = check(make_context(text), ThreatsParams())
    assert verdict.action == "hold" and "i will kill you" in verdict.reason
