"""The word families the text model reads: members it never saw in an example still count."""

from moderation.classifiers.features import features
from moderation.classifiers.lexicon import families_of, lexicon_features


def test_whole_words_and_stems_find_their_family():
    assert "dehumanize" in families_of("cockroaches")
    assert "insult" in families_of("drecksack")  # "dreck*" covers German compounds
    assert "insult" in families_of("idiotin")
    assert families_of("table") == frozenset()


def test_a_family_aimed_at_someone_is_a_feature_of_its_own():
    assert lexicon_features(["you", "are", "vermin"], addressed=True) == [
        "x:dehumanize", "x:dehumanize+you"]
    assert lexicon_features(["they", "are", "vermin"], addressed=False) == ["x:dehumanize"]


def test_the_model_features_carry_the_families_of_normalized_words():
    found = features("Du bist ein V0llidiot und ein Drecksack!")
    assert "x:insult" in found and "x:insult+you" in found
    assert "x:insult+you" not in features("Der Begriff Vollidiot ist im Duden.")
