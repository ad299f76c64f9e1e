"""The text model's features: words, pairs, three-word runs, and a bounded number of them."""

from moderation.classifiers.features import MAX_FEATURES, features
from moderation.classifiers.linear import load_model


def test_three_word_runs_are_features_of_their_own():
    found = features("We know where you live.")
    assert "t:know where you" in found and "t:where you live" in found
    assert "b:where you" in found and "w:live" in found


def test_a_text_of_one_or_two_words_has_no_run():
    assert not [f for f in features("Great article") if f.startswith("t:")]
    assert not [f for f in features("Thanks") if f.startswith(("b:", "t:"))]


def test_text_repeated_to_fill_the_budget_does_not_hide_what_follows():
    tail = "whatsapp me on +44 7700 900123 for cheap loans without credit check"
    found = features("buy now " * 400 + tail)
    assert len(found) <= MAX_FEATURES
    assert "b:cheap loans" in found and "t:loans without credit" in found


def _word(n: int) -> str:
    """A distinct made-up word of letters only (digits would be read as leetspeak)."""
    return "".join(chr(ord("a") + int(d)) for d in str(n)) + "ly"


def test_a_long_comment_keeps_its_start_within_the_budget():
    text = " ".join(_word(n) for n in range(2000))
    found = features(text)
    assert len(found) == MAX_FEATURES
    assert f"b:{_word(0)} {_word(1)}" in found and f"w:{_word(1999)}" not in found


def test_the_words_of_a_run_share_its_weight_in_the_explanation():
    model = load_model()
    text = "I'd lock my doors if I were you. That's a promise."
    words = [w for w, _ in model.top_words(text, "abuse")]
    # The run "s a promise" carries much of the score; its words are shown, not only "lock".
    assert "promise" in words
