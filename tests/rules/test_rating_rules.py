"""The rating rules without a database: facts in, verdict out."""

from __future__ import annotations

import pytest

from moderation.rules import RULES_BY_NAME, banned_rater, brigading, rating_flood, rules_for
from moderation.rules.base import RuleContext
from moderation.sites.settings import SiteSettings
from tests.rules.factories import NOW, make_item, make_site


def context(rule: str, facts, **item) -> RuleContext:
    defaults = dict(kind="rating", author="kj", score=4, commenter="anon:r", body="")
    return RuleContext(item=make_item(**{**defaults, **item}), site=make_site(), now=NOW,
                       facts={rule: facts} if facts is not None else {})


def test_rating_rules_judge_ratings_only():
    names = [r.name for r in rules_for("rating")]
    assert names == ["banned_rater", "rating_flood", "brigading"]
    assert not {"banned_rater", "rating_flood", "brigading"} & {r.name for r in rules_for("comment")}


def flood(rater_ages=(), ip_ages=()):
    return {"rater_ages": list(rater_ages), "ip_ages": list(ip_ages)}


def test_flood_counts_within_the_window_only():
    params = rating_flood.RatingFloodParams(max_per_rater=3, window_s=600)
    assert rating_flood.check(context("rating_flood", flood([10, 20])), params).action == "allow"
    held = rating_flood.check(context("rating_flood", flood([10, 20, 30])), params)
    assert held.action == "hold" and held.details == {"rater_ratings": 4}
    old = flood([10, 20, 700, 800])
    assert rating_flood.check(context("rating_flood", old), params).action == "allow"


def test_flood_by_address_and_office_defaults():
    params = rating_flood.RatingFloodParams()
    office = flood(ip_ages=[60 * i for i in range(1, 8)])
    assert rating_flood.check(context("rating_flood", office), params).action == "allow"
    farm = flood(ip_ages=[10 * i for i in range(1, 40)])
    verdict = rating_flood.check(context("rating_flood", farm), params)
    assert verdict.action == "hold" and "address" in verdict.reason
    assert rating_flood.check(context("rating_flood", None), params).action == "allow"


def test_one_address_rating_one_author_again_and_again_is_held():
    params = rating_flood.RatingFloodParams()
    colleagues = {**flood(ip_ages=[3600 * i for i in range(1, 6)]), "ip_author_count": 5}
    assert rating_flood.check(context("rating_flood", colleagues), params).action == "allow"
    fresh_fingerprints = {**flood(ip_ages=[4000 * i for i in range(1, 9)]), "ip_author_count": 8}
    held = rating_flood.check(context("rating_flood", fresh_fingerprints), params)
    assert held.action == "hold" and held.details == {"ip_author_ratings": 9}


def burst(recent, recent_new, baseline=0, baseline_s=None, established=False):
    return {"recent": recent, "recent_new": recent_new, "baseline": baseline,
            "baseline_s": baseline_s, "established": established}


@pytest.mark.parametrize("facts, action", [
    (burst(12, 12), "allow"),                                     # a new author's first ratings
    (burst(30, 30), "hold"),                                      # a burst from nowhere
    (burst(30, 30, established=True), "allow"),                   # a regular reader is never held
    (burst(30, 10), "allow"),                                     # mostly regular readers
    (burst(30, 30, baseline=30 * 24 * 10, baseline_s=30 * 86_400), "allow"),  # usually 10/h
    (burst(60, 60, baseline=30 * 24 * 10, baseline_s=30 * 86_400), "hold"),   # 6x the usual
])
def test_brigading(facts, action):
    verdict = brigading.check(context("brigading", facts), brigading.BrigadingParams(factor=5))
    assert verdict.action == action


def test_usual_rate_is_spread_over_at_least_a_day():
    assert brigading.usual_per_hour(1, 60.0) == pytest.approx(1 / 24)
    assert brigading.usual_per_hour(0, None) == 0.0


def test_banned_rater_is_rejected():
    params = banned_rater.BannedRaterParams()
    verdict = banned_rater.check(context("banned_rater", {"reason": "brigade"}), params)
    assert (verdict.action, verdict.reason) == ("reject", "rater is banned: brigade")
    assert banned_rater.check(context("banned_rater", None), params).action == "allow"


def test_thresholds_are_site_settings():
    settings = SiteSettings(rules={"brigading": {"min_burst": 50}, "rating_flood": {"max_per_ip": 5}})
    params = settings.rule_params()
    assert params["brigading"].min_burst == 50 and params["rating_flood"].max_per_ip == 5
    with pytest.raises(ValueError):
        SiteSettings(rules={"rating_flood": {"window_s": 10 ** 6}})
    assert "brigading" in RULES_BY_NAME
