from dataclasses import replace

import pytest

from moderation.rules import banned_words, suspect_words
from moderation.text.default_wordlists import BANNED, SUSPECT
from moderation.text.wordlists import WordListCache, compile_wordlist
from tests.rules.factories import (
    default_site,
    judge_text,
    make_context,
    make_site,
    shown_as_listed,
)

LIST = compile_wordlist(["fuck*", "cunt", "ass", "dick", "viagra", "spam", "free money",
                         "Arschloch", "idiot*"], 3)


@pytest.mark.parametrize(("text", "matched"), [
    ("buy v.i.a.g.r.a now", ["viagra"]),
    ("buy v-i-a-g-r-a now", ["viagra"]),
    ("buy viаgrа now", ["viagra"]),  # Cyrillic а
    ("buy vi\u200bag\u200dra now", ["viagra"]),  # zero-width space and joiner
    ("what an @ss", ["ass"]),
    ("kiss my a$$", ["ass"]),
    ("s p a m", ["spam"]),
    ("spaaaaaam", ["spam"]),
    ("asssss", ["ass"]),
    ("FUCKING hell", ["fuck*"]),
    ("f u c k", ["fuck*"]),
    ("you are a c u n t", ["cunt"]),
    ("du ARSCHLÖCH", ["Arschloch"]),
    ("get free   money now", ["free money"]),
    ("idiots and spam", ["spam", "idiot*"]),
    ("ass dick", ["ass", "dick"]),
])
def test_evasions_match(text, matched):
    assert LIST.find(text) == matched


@pytest.mark.parametrize("text", [
    "Scunthorpe United won", "a classic assassin", "Dickens wrote it", "I gave it 5 stars",
    "free the money supply", "passing the class", "e.g. the U.S. budget", "spamalot",
])
def test_whole_words_only(text):
    assert LIST.find(text) == []


def test_empty_list_and_empty_entries():
    assert compile_wordlist([], 1).find("anything") == []
    assert compile_wordlist(["  ", "!!"], 1).entries == ()


def test_cache_reuses_automata_per_version():
    cache = WordListCache(size=2)
    first = cache.get("ustv", "banned", 1, ["spam"])
    assert cache.get("ustv", "banned", 1, ["ignored"]) is first
    assert cache.get("ustv", "banned", 2, ["eggs"]).find("eggs") == ["eggs"]
    cache.get("other", "banned", 1, ["x"])
    assert len(cache) == 2
    assert cache.get("ustv", "banned", 1, ["ham"]) is not first  # evicted, rebuilt


def test_banned_words_rejects_with_matched_entries():
    site = make_site(banned=["viagra", "spam"])
    verdict = banned_words.check(make_context("cheap v!agra and s.p.a.m", site),
                                 banned_words.BannedWordsParams())
    assert verdict.action == "reject"
    assert verdict.details == {"matched": ["viagra", "spam"], "phrases": ["viagra", "spam"]}
    site = replace(default_site(), wordlists={"banned": compile_wordlist(["viagra", "spam"], 1)})
    judged = judge_text("cheap v!agra and s.p.a.m", site)
    banned = shown_as_listed(judged, "banned_words")
    assert banned.details["spans"] == [[6, 12], [17, 24]]  # "v!agra" and "s.p.a.m" as written
    assert "viagra" in verdict.reason


def test_suspect_words_are_evidence_for_both_categories():
    site = make_site(suspect=["idiot*", "click here"])
    params = suspect_words.SuspectWordsParams()
    verdict = suspect_words.check(make_context("what idiots", site), params)
    assert (verdict.action, verdict.category, verdict.points) == ("allow", "any", params.points)
    assert verdict.details["matched"] == ["idiot*"]
    two = suspect_words.check(make_context("Idiots, CLICK HERE", site), params)
    assert two.points == params.points + params.more_points
    assert two.details["phrases"] == ["idiot*", "click here"]


def test_suspect_words_hold_alone_when_the_site_asks():
    site = make_site(suspect=["idiot*"])
    verdict = suspect_words.check(make_context("what idiots", site),
                                  suspect_words.SuspectWordsParams(action="hold"))
    assert (verdict.action, verdict.details["matched"]) == ("hold", ["idiot*"])


def test_rules_allow_without_lists_or_matches():
    params = banned_words.BannedWordsParams()
    assert banned_words.check(make_context("fuck"), params).action == "allow"
    site = make_site(banned=["spam"], suspect=["idiot"])
    assert banned_words.check(make_context("lovely", site),
                              banned_words.BannedWordsParams()).action == "allow"
    assert suspect_words.check(make_context("lovely", site),
                               suspect_words.SuspectWordsParams()).action == "allow"


def test_default_lists_compile_and_spare_ordinary_text():
    banned, suspect = compile_wordlist(BANNED, 1), compile_wordlist(SUSPECT, 1)
    ordinary = ("Scunthorpe's council met in the classic hall; Dickens fans, a coonhound and "
                "spic and span Zigeunerschnitzel. Johnny Depp and MongoDB. I gave it 5 stars.")
    assert banned.find(ordinary) == [] and suspect.find(ordinary) == []
    assert banned.find("buy ch3ap v1agra") == ["viagra"]
    assert suspect.find("halt die Fresse, du Arschlöcher") == ["arschloch*", "halt die fresse"]


def test_default_spam_phrases_name_the_money():
    suspect = compile_wordlist(SUSPECT, 1)
    assert suspect.find("I work from home two days a week and the trains are packed.") == []
    assert suspect.find("W0rk fr0m h0me and earn 500 a day") == ["work from home and earn"]
    assert suspect.find("Get rich quick with binary options") == ["get rich quick",
                                                                  "binary options"]
    assert suspect.find("I recovered my coins, contact him on WhatsApp") == [
        "contact him on whatsapp"]


@pytest.mark.parametrize(("text", "spans"), [
    ("You are an idiot, honestly", [[11, 16]]),
    ("😀😀 what an IDIOOOT. And idiots!", [[11, 18], [24, 30]]),  # code points, not UTF-16
    ("get free   money now", [[4, 16]]),
    ("(viagra) and v.i.a.g.r.a", [[1, 7], [13, 24]]),
    ("f u c k", []),  # found by the rule, not located: no highlight rather than a wrong one
])
def test_matches_are_located_in_code_points(text, spans):
    assert banned_spans(text, LIST) == spans
    for start, end in spans:
        assert text[start:end].strip()


def test_locating_a_phrase_before_the_last_word_ends():
    """A multi-word entry with words after it once left the search standing on the last word."""
    banned = compile_wordlist(["free money", "cheap pills"], 1)
    for text, spans in (("get free   money now", [[4, 16]]), ("Cheap pills here", [[0, 11]]),
                        ("cheap pills", [[0, 11]])):
        assert banned_spans(text, banned) == spans


def banned_spans(text: str, banned) -> list[list[int]]:
    """The spans a moderator sees on the banned_words verdict of a rejected comment."""
    judged = judge_text(text, replace(default_site(), wordlists={"banned": banned}))
    assert judged.status == "rejected"
    return shown_as_listed(judged, "banned_words").details.get("spans", [])
