"""learned_spam: neutral until trained on enough decisions, then holding what looks like spam."""

from __future__ import annotations

from moderation.review import learned_spam as classifier
from moderation.rules import learned_spam
from moderation.rules.base import RuleContext
from tests.rules.factories import NOW, make_site
from tests.rules.history import add_comment

SPAM = [f"Get {n}% off designer watches at replica-deals.shop, free shipping, order today"
        for n in range(10, 40)]
HAM = [f"The council vote on the {topic} was closer than the article suggests; "
       f"I was there and counted {n} hands."
       for n, topic in enumerate(["bridge", "budget", "school", "tram", "library", "park"] * 5)]


async def verdict_for(conn, site, body):
    item = await add_comment(conn, site, body, NOW, status="pending")
    facts = (await learned_spam.RULE.load_facts(conn, [item], NOW))["learned_spam"]
    ctx = RuleContext(item, make_site(), NOW, {"learned_spam": facts.get(item.key)})
    return learned_spam.check(ctx, learned_spam.LearnedSpamParams())


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
        for body in SPAM[:20]:
            await classifier.train(conn, site_a, body, True)
        for body in HAM[:20]:
            await classifier.train(conn, site_a, body, False)
        assert (await verdict_for(conn, site_a, SPAM[25])).action == "hold"
        assert (await verdict_for(conn, site_b, SPAM[25])).reason == "still learning"


def test_spam_probability_is_neutral_without_evidence():
    assert classifier.spam_probability({}, 0, 0) == (0.5, [])
    assert classifier.spam_probability({"x": (1, 1)}, 10, 10)[0] == 0.5
