"""duplicate: one commenter repeating itself, near-copies, and blasts across threads."""

from __future__ import annotations

from datetime import timedelta

from moderation.rules import duplicate
from moderation.rules.base import RuleContext
from moderation.rules.facts.comments import Earlier, Likeness
from moderation.text.fingerprint import shingles, similarity
from moderation.text.normalize import normalize
from tests.rules.factories import NOW, comment_facts_plans, make_item, make_site
from tests.rules.history import add_comment

SPAM = "Earn 5000 dollars a week from home, message me on telegram for details"


def judge(earlier, body=SPAM, **params):
    likeness = Likeness(len(normalize(body)), tuple(earlier))
    ctx = RuleContext(make_item(body), make_site(), NOW, {"duplicate": likeness})
    return duplicate.check(ctx, duplicate.DuplicateParams(**params))


def earlier(similarity=1.0, *, same_person=True, thread="t1", ago=60, comment_id=7):
    return Earlier(comment_id, thread, NOW - timedelta(seconds=ago), similarity, same_person)


def test_the_same_text_from_the_same_commenter_is_rejected():
    verdict = judge([earlier()])
    assert verdict.action == "reject"
    assert verdict.details["duplicate_of"] == "7"
    assert judge([earlier(0.8)]).reason.startswith("nearly the same text")
    assert judge([earlier(0.5)]).action == "allow"
    assert judge([earlier(ago=2 * 24 * 3600)]).action == "allow"  # outside the window
    assert judge([earlier()], body="Thanks, great read!").action == "allow"  # too short


def test_a_blast_across_three_threads_is_rejected_from_anyone():
    others = [earlier(same_person=False, thread="t2", comment_id=2),
              earlier(same_person=False, thread="t3", comment_id=3)]
    assert judge(others[:1]).action == "allow"
    blast = judge(others)
    assert blast.action == "reject" and blast.details["threads"] == ["t1", "t2", "t3"]
    assert judge(others, blast_threads=4).action == "allow"
    old = [earlier(same_person=False, thread="t2", ago=7200),
           earlier(same_person=False, thread="t3", ago=7200)]
    assert judge(old).action == "allow"


def test_near_duplicates_survive_evasion_and_different_comments_do_not_match():
    original = shingles(SPAM)
    assert similarity(original, shingles(SPAM.upper().replace("o", "0"))) == 1.0
    assert similarity(original, shingles(SPAM.replace("week", "month"))) >= 0.7
    assert similarity(original, shingles("I disagree, the council should work from home "
                                         "less and meet people more")) < 0.3


async def test_loader_finds_copies_by_person_and_by_text(pool, site):
    async with pool.acquire() as conn:
        await add_comment(conn, site, SPAM.replace("week", "month"), NOW - timedelta(minutes=5))
        await add_comment(conn, site, "An unrelated and perfectly fine remark about the vote.",
                          NOW - timedelta(minutes=4))
        await add_comment(conn, site, SPAM.lower(), NOW - timedelta(minutes=3), thread="t2",
                          commenter="anon:x", ip_hash=b"ip-x")
        await add_comment(conn, site, SPAM, NOW - timedelta(minutes=2), thread="t3",
                          commenter="anon:y", ip_hash=None, status="deleted")
        await add_comment(conn, site, SPAM, NOW - timedelta(minutes=1), commenter="anon:z",
                          ip_hash=b"ip-z", thread="t4")
        item = await add_comment(conn, site, SPAM, NOW, thread="t5")
        facts = (await duplicate.RULE.load_facts(conn, [item], NOW))["duplicate"]
    found = sorted((e.thread, e.same_person, round(e.similarity, 1))
                   for e in facts[item.key].earlier)
    assert found == [("t1", True, 0.8), ("t2", False, 1.0), ("t4", False, 1.0)]
    verdict = duplicate.check(RuleContext(item, make_site(), NOW, {"duplicate": facts[item.key]}),
                              duplicate.DuplicateParams())
    assert verdict.action == "reject"


async def test_loader_finds_an_address_copies_within_the_window_only(pool, site):
    async with pool.acquire() as conn:
        await add_comment(conn, site, SPAM, NOW - timedelta(days=2), thread="t2",
                          commenter="anon:old", ip_hash=b"ip-shared")
        await add_comment(conn, site, SPAM.upper(), NOW - timedelta(hours=1), thread="t3",
                          commenter="anon:recent", ip_hash=b"ip-shared")
        item = await add_comment(conn, site, SPAM.replace("week", "month"), NOW, thread="t4",
                                 commenter="anon:new", ip_hash=b"ip-shared")
        facts = (await duplicate.RULE.load_facts(conn, [item], NOW))["duplicate"]
    found = sorted((e.thread, e.same_person) for e in facts[item.key].earlier)
    assert found == [("t3", True)]  # the same address is the same person; two days is too old


async def test_address_lookups_stay_on_their_index_in_a_backlog_without_statistics(own_database):
    # Thousands of comments just queued, not yet analyzed (an overload's backlog): the address's
    # look-alikes and counts walked comments_address_expiry through every comment of the window
    # for each comment judged (docs/decisions/0011).
    await own_database.execute("""
        INSERT INTO comments (site_id, thread, commenter, author_name, body, ip_hash,
                              text_hash, created_at)
        SELECT 'news', 't', 'anon:c' || n, 'Reader', 'comment ' || n,
               decode(md5(n::text), 'hex'), n, now() - make_interval(secs => 6000 - n)
          FROM generate_series(1, 6000) n""")
    plans = await comment_facts_plans(
        own_database,
        "ARRAY['news'], ARRAY[6000::bigint], ARRAY['anon:c6000'], "
        "ARRAY[decode(md5('6000'), 'hex')], ARRAY[now()], ARRAY[6000::bigint], interval '1 day', 20",
        "force_custom_plan", "force_generic_plan")
    for text in plans:
        assert "Index Scan Backward using comments_by_ip" in text, text  # the look-alikes
        assert "Index Only Scan using comments_by_ip" in text, text  # the address's counts
        assert "comments_address_expiry" not in text, text
