"""learned_spam: the base model from the first comment, the site's classifier once trained on
enough decisions, and the classifier that sharing sites teach together."""

from __future__ import annotations

import pytest

from moderation.judging.explain import explain
from moderation.review import learned_spam as classifier
from moderation.rules import learned_spam
from moderation.rules.base import RuleContext
from moderation.sites import store as sites
from moderation.sites.settings import SiteSettings
from tests.rules.factories import NOW, judge_text, make_context, make_site, shown_as_listed
from tests.rules.history import add_comment

SPAM = [f"Get {n}% off designer watches at replica-deals.shop, free shipping, order today"
        for n in range(10, 40)]
HAM = [f"The council vote on the {topic} was closer than the article suggests; "
       f"I was there and counted {n} hands."
       for n, topic in enumerate(["bridge", "budget", "school", "tram", "library", "park"] * 5)]


HOLD = learned_spam.LearnedSpamParams(action="hold")
SCORE = learned_spam.LearnedSpamParams()
SHARING = learned_spam.LearnedSpamParams(share=True)


async def verdict_for(conn, site, body, params=HOLD):
    item = await add_comment(conn, site, body, NOW, status="pending")
    facts = (await learned_spam.RULE.load_facts(conn, [item], NOW))["learned_spam"]
    ctx = RuleContext(item, make_site(), NOW, {"learned_spam": facts.get(item.key)})
    return learned_spam.check(ctx, params)


async def teach(conn, site, spam=SPAM[:20], ham=HAM[:20]):
    for body in spam:
        await classifier.train(conn, site, body, True)
    for body in ham:
        await classifier.train(conn, site, body, False)


async def share(conn, site, on: bool) -> None:
    await sites.save_settings(conn, site, SiteSettings.model_validate(
        {"rules": {"learned_spam": {"share": on}}}))


async def test_neutral_until_trained_then_holds_spam_and_lets_ham_through(pool, site):
    probe = "Huge discount on designer watches at replica-deals.shop, order today"
    async with pool.acquire() as conn:
        assert (await verdict_for(conn, site, probe)).action == "allow"
        for body in SPAM[:19]:
            await classifier.train(conn, site, body, True)
        for body in HAM[:25]:
            await classifier.train(conn, site, body, False)
        neutral = await verdict_for(conn, site, probe)
        assert neutral.action == "allow" and neutral.reason == "still learning"  # 19 < 20 spam
        await classifier.train(conn, site, SPAM[19], True)
        held = await verdict_for(conn, site, probe)
        assert held.action == "hold" and held.score > 0.9
        assert held.details["tokens"]
        fine = await verdict_for(conn, site, "I counted the hands at the council vote on the tram.")
        assert fine.action == "allow" and fine.score < 0.5
        # Untraining a decision takes it back out of the counts.
        await classifier.untrain(conn, site, SPAM[19], True)
        assert (await verdict_for(conn, site, probe)).reason == "still learning"


async def test_training_is_per_site(pool, new_site):
    site_a, site_b = await new_site(), await new_site()
    async with pool.acquire() as conn:
        await teach(conn, site_a)
        assert (await verdict_for(conn, site_a, SPAM[25])).action == "hold"
        assert (await verdict_for(conn, site_b, SPAM[25])).reason == "still learning"


@pytest.mark.parametrize(("text", "spammy"), [
    ("Earn $500 a day from home, WhatsApp me on +1 555 0142 for details", True),
    ("Check out my channel and subscribe, I subscribe back!!", True),
    ("Kredit ohne Schufa in 24 Stunden, schreib mir auf Telegram", True),
    ("The council should publish the minutes of that meeting.", False),
    ("Ich finde den Artikel sehr gut recherchiert, danke.", False),
])
def test_the_base_model_reads_spam_from_the_first_comment(text, spammy):
    verdict = learned_spam.check(make_context(text), SCORE)
    assert verdict.action == "allow" and verdict.category == "spam"
    assert (verdict.points > 0) == spammy
    assert set(verdict.details["parts"]) == {"base"}
    if spammy:
        judged = judge_text(text)
        assert judged.status == "held"
        shown = shown_as_listed(judged, "learned_spam")
        assert shown.details["words"] and shown.details["spans"]


async def test_the_site_classifier_adds_its_points_once_trained(pool, site):
    probe = "Huge discount on designer watches at replica-deals.shop, order today"
    async with pool.acquire() as conn:
        before = await verdict_for(conn, site, probe, SCORE)
        await teach(conn, site)
        after = await verdict_for(conn, site, probe, SCORE)
    assert set(before.details["parts"]) == {"base"}
    weight = SCORE.site_weight
    # weight × how far the score is past the unsure middle: near its most (weight / 4) at score ≈ 1
    assert after.details["parts"]["site"] > 0.2 * weight
    assert after.points == pytest.approx(before.points + after.details["parts"]["site"], abs=0.02)
    # A moderator looking later sees the tokens the site's classifier weighed when it judged,
    # beside the base model's words, whatever the classifier has learned since.
    [shown] = explain(probe, [after])
    learned = [t for t in after.details["tokens"] if not t.startswith(("shape:", "link:"))]
    assert learned and learned[0] in shown.details["words"] and shown.details["spans"]


async def test_sharing_sites_learn_from_each_other_without_seeing_comments(pool, new_site):
    teacher, learner, loner = await new_site(), await new_site(), await new_site()
    probe = "Huge discount on designer watches at replica-deals.shop, order today"
    async with pool.acquire() as conn:
        await teach(conn, teacher)
        assert "shared" not in (await verdict_for(conn, learner, probe, SHARING)).details["parts"]
        await share(conn, teacher, True)
        await share(conn, learner, True)
        try:
            learned = await verdict_for(conn, learner, probe, SHARING)
            assert learned.details["parts"]["shared"] > 0.2 * SHARING.shared_weight  # at most weight / 4
            assert "site" not in learned.details["parts"]  # the learner decided nothing itself
            # A site that does not share gets nothing from the pool.
            alone = await verdict_for(conn, loner, probe, SCORE)
            assert "shared" not in alone.details["parts"]
            # The teacher stops sharing: its lessons leave the pool at once.
            await share(conn, teacher, False)
            assert "shared" not in (await verdict_for(conn, learner, probe, SHARING)).details["parts"]
        finally:
            await share(conn, teacher, False)
            await share(conn, learner, False)


def test_spam_probability_is_neutral_without_evidence():
    assert classifier.spam_probability({}, 0, 0) == (0.5, [])
    assert classifier.spam_probability({"x": (1, 1)}, 10, 10)[0] == 0.5
