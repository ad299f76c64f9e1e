import pytest

from moderation.rules.shouting import ShoutingParams, caps_ratio, check
from tests.rules.factories import make_context


@pytest.mark.parametrize(("text", "evidence"), [
    ("THIS IS AN OUTRAGE, YOU PEOPLE", {"caps_ratio": 1.0}),
    ("ÄRGER ÜBER DIE STRASSENBAHN", {"caps_ratio": 1.0}),
    ("wow!!!!!!!!!!", {"repeated": "!!!!!!!!!!", "spans": [[3, 13]]}),
    ("nooooooooooo way", {"repeated": "ooooooooooo", "spans": [[1, 12]]}),
    ("Read this ---------- now", {"repeated": "----------", "spans": [[10, 20]]}),
])
def test_shouting_is_a_little_evidence_by_default_and_holds_when_the_site_asks(text, evidence):
    verdict = check(make_context(text), ShoutingParams())
    assert verdict.action == "allow" and verdict.category == "any"
    assert 0 < verdict.points < 1  # never enough alone: enthusiasm is not abuse
    assert {key: verdict.details.get(key) for key in evidence} == evidence
    assert check(make_context(text), ShoutingParams(action="hold")).action == "hold"


@pytest.mark.parametrize("text", [
    "NATO and the USA disagree", "NATO USA EU", "OK", "I read it in the NYT and the FT today",
    "Prices rose 1000000000 percent", "Well... maybe!!", "A normal comment, calmly written.",
])
def test_ordinary_text_allows(text):
    verdict = check(make_context(text), ShoutingParams())
    assert (verdict.action, verdict.points) == ("allow", 0.0)


def test_ratio_counts_cased_letters_only():
    assert caps_ratio("ABC def 123 !!") == (0.5, 6)
    assert caps_ratio("") == (0.0, 0)


def test_parameters():
    params = ShoutingParams(max_caps_ratio=0.9, max_repeat=3, action="hold")
    verdict = check(make_context("MOSTLY CAPITALS here and there"), params)
    assert verdict.action == "allow"
    verdict = check(make_context("hmmmm"), params)
    assert (verdict.action, verdict.details["repeated"]) == ("hold", "mmmm")
    assert verdict.details["spans"] == [[1, 5]]
