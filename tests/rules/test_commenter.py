"""commenter: bans, premoderation (off, first_n, all) and trusted commenters."""

from __future__ import annotations

from datetime import datetime, timedelta

from moderation.rules import commenter
from moderation.rules.base import RuleContext
from moderation.rules.commenter import History
from moderation.sites.settings import SiteSettings
from tests.rules.factories import NOW, comment_facts_plans, make_item, make_site
from tests.rules.history import add_comment


def judge(history=None, **settings):
    site = make_site(settings=SiteSettings(**settings))
    facts = {"commenter": history} if history is not None else {}
    return commenter.check(RuleContext(make_item(), site, NOW, facts), commenter.CommenterParams())


def test_banned_commenters_are_rejected_until_the_ban_ends():
    assert judge(History(banned_until=NOW + timedelta(days=1))).action == "reject"
    forever = judge(History(banned_until=datetime.max.replace(tzinfo=NOW.tzinfo)))
    assert forever.action == "reject" and "for good" in forever.reason
    assert judge(History(banned_until=NOW - timedelta(seconds=1))).action == "allow"


def test_premoderation_modes():
    assert judge(History()).action == "allow"  # off by default
    assert judge(History(), premoderation="all").action == "hold"
    first = dict(premoderation="first_n", first_n=2)
    assert judge(History(earlier=0), **first).action == "hold"
    assert judge(History(earlier=1), **first).action == "hold"
    assert judge(History(earlier=2, approved=2), **first).action == "allow"
    assert judge(None, **first).action == "hold"  # no history: a new commenter


def test_trusted_commenters_skip_premoderation_unless_ever_rejected():
    assert judge(History(earlier=9, approved=5), premoderation="all").action == "allow"
    assert judge(History(earlier=9, approved=8, rejected=1), premoderation="all").action == "hold"
    assert judge(History(earlier=9, approved=4), premoderation="all").action == "hold"


async def test_loader_reads_ban_and_earlier_comments(pool, site):
    async with pool.acquire() as conn:
        await add_comment(conn, site, "one", NOW - timedelta(hours=3))
        await add_comment(conn, site, "two", NOW - timedelta(hours=2), status="rejected")
        await add_comment(conn, site, "gone", NOW - timedelta(hours=2), status="deleted")
        await add_comment(conn, site, "someone else", NOW, commenter="anon:b")
        item = await add_comment(conn, site, "three", NOW, status="pending")
        await conn.execute("UPDATE commenters SET banned_until = 'infinity', ban_reason = 'spam' "
                           "WHERE site_id = $1 AND commenter = 'anon:a'", site)
        facts = await commenter.RULE.load_facts(conn, [item], NOW)
    history = facts["commenter"][item.key]
    assert (history.earlier, history.approved, history.rejected) == (2, 1, 1)
    assert history.banned_until > NOW and history.ban_reason == "spam"
    verdict = commenter.check(RuleContext(item, make_site(), NOW, {"commenter": history}),
                              commenter.CommenterParams())
    assert verdict.action == "reject"


async def test_history_is_read_up_to_the_judged_comment_whatever_came_after(pool, site):
    # A backlog judged during a flood: more comments than the history holds arrived after the
    # one being judged, and they must not push its own history out.
    from moderation.rules.facts import comments as comment_facts

    async with pool.acquire() as conn:
        for hours in (5, 4, 3):
            await add_comment(conn, site, f"earlier {hours}", NOW - timedelta(hours=hours))
        item = await add_comment(conn, site, "judged", NOW - timedelta(hours=2), status="pending")
        await conn.execute("""
            INSERT INTO comments (site_id, thread, commenter, author_name, body, status, created_at)
            SELECT $1, 't', 'anon:a', 'A', 'later ' || n, 'approved',
                   $2::timestamptz + make_interval(secs => n)
              FROM generate_series(1, $3) n""",
            site, NOW - timedelta(hours=1), comment_facts.HISTORY_LIMIT + 50)
        facts = await commenter.RULE.load_facts(conn, [item], NOW)
    history = facts["commenter"][item.key]
    assert (history.earlier, history.approved, history.rejected) == (3, 3, 0)


async def test_history_stays_on_its_index_when_one_commenter_wrote_most_comments(own_database):
    # A flood from one commenter skews the statistics: a generic plan then took every commenter
    # for as prolific and read all of `comments` for each comment judged. A database of its own,
    # so that the other tests' comments do not dilute the skew.
    await own_database.execute("""
        INSERT INTO comments (site_id, thread, commenter, author_name, body, status, ip_hash,
                              created_at)
        SELECT 'news', 't', 'anon:flood', 'Flood', 'buy now ' || n, 'rejected', '\\x01',
               now() - make_interval(secs => n)
          FROM generate_series(1, 40000) n""")
    await own_database.execute("ANALYZE")
    [text] = await comment_facts_plans(
        own_database,
        "ARRAY['news'], ARRAY[1000000000::bigint], ARRAY['anon:newcomer'], ARRAY[NULL::bytea], "
        "ARRAY[now()], ARRAY[NULL::bigint], interval '1 day', 20", "force_generic_plan")
    assert "Seq Scan on comments" not in text, text
    assert "Index Scan Backward using comments_by_commenter on comments c " in text, text
