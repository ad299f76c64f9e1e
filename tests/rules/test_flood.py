"""flood: bursts from one commenter or one IP are held; a busy office behind one IP is not."""

from __future__ import annotations

from datetime import timedelta

from moderation.rules import flood
from moderation.rules.base import RuleContext
from moderation.rules.facts.comments import WINDOWS
from tests.rules.factories import NOW, make_item, make_site
from tests.rules.history import add_comment


def judge(facts, **params):
    ctx = RuleContext(make_item(), make_site(), NOW, {"flood": facts})
    return flood.check(ctx, flood.FloodParams(**params))


def counts(commenter=0, ip=0):
    return {f"{who}_{w}": n for w in WINDOWS
            for who, n in (("commenter", commenter), ("ip", ip))}


def test_defaults_let_an_office_through_and_stop_a_script():
    assert judge(counts(commenter=0, ip=29)).action == "allow"  # the 30th this minute
    assert judge(counts(commenter=0, ip=39)).action == "allow"
    assert judge(counts(commenter=0, ip=40)).action == "hold"   # a script's 41st
    assert judge(counts(commenter=7)).action == "allow"
    held = judge(counts(commenter=8))
    assert held.action == "hold" and "commenter" in held.reason


def test_parameters_and_no_history():
    assert judge({}).action == "allow"
    assert judge(counts(commenter=3), max_per_commenter=3).action == "hold"
    facts = {**counts(), "ip_600": 500}
    assert judge(facts).action == "allow"
    assert judge(facts, window_s=600).action == "hold"


async def test_loader_counts_earlier_comments_by_commenter_and_ip(pool, site):
    async with pool.acquire() as conn:
        for n in range(5):  # one commenter, one IP, the last five minutes
            await add_comment(conn, site, f"earlier {n}", NOW - timedelta(seconds=50 * n + 1))
        await add_comment(conn, site, "other commenter, same IP", NOW - timedelta(seconds=5),
                          commenter="anon:b")
        await add_comment(conn, site, "another IP", NOW - timedelta(seconds=5),
                          commenter="anon:c", ip_hash=b"ip-c")
        await add_comment(conn, site, "too old", NOW - timedelta(hours=2))
        await add_comment(conn, site, "later", NOW + timedelta(seconds=1))
        item = await add_comment(conn, site, "now", NOW)
        facts = await flood.RULE.load_facts(conn, [item], NOW)
    assert facts["flood"][item.key] == {"commenter_60": 2, "commenter_600": 5, "commenter_3600": 5,
                                        "ip_60": 3, "ip_600": 6, "ip_3600": 6}
