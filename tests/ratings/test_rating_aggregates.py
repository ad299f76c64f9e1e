"""Aggregates stay exact: replacement, reject after approve, erasure, and random sequences of all."""

from __future__ import annotations

import random

from moderation.clock import utcnow
from moderation.ratings import store as ratings
from moderation.rules.base import Item
from tests.ratings.checks import assert_aggregates_exact

INSERT = """
INSERT INTO ratings (site_id, author, rater, score) VALUES ($1, $2, $3, $4)
RETURNING rating_id, version"""


async def add(conn, site: str, author: str, rater: str, score: int) -> tuple[int, int]:
    row = await conn.fetchrow(INSERT, site, author, rater, score)
    return row["rating_id"], row["version"]


async def rules_decide(conn, site: str, decisions: list[tuple[int, int, str]]) -> list[str]:
    """What the worker does: apply the decisions on the versions judged, in one transaction
    (a rating that is no longer that pending version is left alone)."""
    async with conn.transaction():
        applied = await ratings.apply_decisions(
            conn, [(Item("rating", site, rid, version, utcnow()), status)
                   for rid, version, status in decisions])
    return [status for _, status in applied]


async def aggregate(conn, site: str, author: str) -> tuple[int, int]:
    found = await ratings.read_one(conn, site, author)
    assert found is not None
    agg, _ = found
    return agg.count, agg.sum


async def test_newer_approved_rating_replaces_the_older(pool, site):
    async with pool.acquire() as conn:
        first = await add(conn, site, "kj", "anon:r1", 5)
        await rules_decide(conn, site, [(*first, "approved")])
        assert await aggregate(conn, site, "kj") == (1, 5)
        second = await add(conn, site, "kj", "anon:r1", 2)
        await rules_decide(conn, site, [(*second, "approved")])
        assert await aggregate(conn, site, "kj") == (1, 2)
        statuses = dict(await conn.fetch("SELECT rating_id, status FROM ratings WHERE site_id = $1",
                                         site))
        assert statuses == {first[0]: "replaced", second[0]: "approved"}
        await assert_aggregates_exact(conn, site)


async def test_held_replacement_leaves_the_old_rating_counted(pool, site):
    async with pool.acquire() as conn:
        first = await add(conn, site, "kj", "anon:r1", 5)
        await rules_decide(conn, site, [(*first, "approved")])
        second = await add(conn, site, "kj", "anon:r1", 1)
        await rules_decide(conn, site, [(*second, "held")])
        assert await aggregate(conn, site, "kj") == (1, 5)
        # A moderator approves the held one later: now it replaces the old.
        await ratings.set_status(conn, site, second[0], "approved")
        assert await aggregate(conn, site, "kj") == (1, 1)


async def test_two_approvals_of_one_rater_in_a_batch_count_once(pool, site):
    async with pool.acquire() as conn:
        older = await add(conn, site, "kj", "anon:r1", 3)
        newer = await add(conn, site, "kj", "anon:r1", 4)
        other = await add(conn, site, "kj", "anon:r2", 1)
        await rules_decide(conn, site, [(*newer, "approved"), (*older, "approved"),
                                        (*other, "approved")])
        assert await aggregate(conn, site, "kj") == (2, 5)
        assert await conn.fetchval("SELECT status FROM ratings WHERE site_id = $1 AND "
                                   "rating_id = $2", site, older[0]) == "replaced"


async def test_approving_an_older_rating_never_overrides_a_newer_one(pool, site):
    async with pool.acquire() as conn:
        older = await add(conn, site, "kj", "anon:r1", 1)
        await rules_decide(conn, site, [(*older, "held")])
        newer = await add(conn, site, "kj", "anon:r1", 5)
        await rules_decide(conn, site, [(*newer, "approved")])
        changed = await ratings.set_status(conn, site, older[0], "approved")
        assert changed["status"] == "replaced"
        assert await aggregate(conn, site, "kj") == (1, 5)


async def test_reject_after_approve_and_erase_correct_the_aggregate(pool, site):
    async with pool.acquire() as conn:
        a = await add(conn, site, "kj", "anon:r1", 5)
        b = await add(conn, site, "kj", "sso:jane", 3)
        await rules_decide(conn, site, [(*a, "approved"), (*b, "approved")])
        assert await aggregate(conn, site, "kj") == (2, 8)
        await ratings.set_status(conn, site, a[0], "rejected")
        assert await aggregate(conn, site, "kj") == (1, 3)
        assert await ratings.set_status(conn, site, a[0], "rejected") is None  # harmless repeat
        assert await ratings.erase_rater(conn, site, "sso:jane") == 1
        assert await aggregate(conn, site, "kj") == (0, 0)
        await assert_aggregates_exact(conn, site)


async def test_a_stale_version_or_a_decided_rating_is_not_changed_by_the_rules(pool, site):
    async with pool.acquire() as conn:
        rid, version = await add(conn, site, "kj", "anon:r1", 4)
        assert await rules_decide(conn, site, [(rid, version + 1, "approved")]) == []
        assert await rules_decide(conn, site, [(rid, version, "rejected")]) == ["rejected"]
        assert await rules_decide(conn, site, [(rid, version, "approved")]) == []
        assert await aggregate(conn, site, "kj") == (0, 0)


async def test_random_sequences_keep_aggregates_equal_to_a_recomputation(pool, new_site):
    """Property test (seeded, since hypothesis is not a dependency): any interleaving of rule
    decisions, moderator changes, replacements and erasures leaves the aggregates exact."""
    for seed in range(12):
        rng = random.Random(seed)
        site = await new_site()
        authors, raters = ["a", "b", "c"], [f"anon:{i}" for i in range(4)] + ["sso:x"]
        pending: list[tuple[int, int]] = []
        async with pool.acquire() as conn:
            for _ in range(40):
                op = rng.choices(["rate", "rules", "moderate", "erase"], [5, 4, 3, 1])[0]
                if op == "rate":
                    pending.append(await add(conn, site, rng.choice(authors),
                                             rng.choice(raters), rng.randint(1, 5)))
                elif op == "rules" and pending:
                    batch = rng.sample(pending, rng.randint(1, min(4, len(pending))))
                    await rules_decide(conn, site, [
                        (rid, version, rng.choice(["approved", "approved", "held", "rejected"]))
                        for rid, version in batch])
                    pending = [p for p in pending if p not in batch]
                elif op == "moderate":
                    ids = await conn.fetch("SELECT rating_id FROM ratings WHERE site_id = $1", site)
                    if ids:
                        await ratings.set_status(conn, site, rng.choice(ids)["rating_id"],
                                                 rng.choice(["approved", "rejected", "held",
                                                             "deleted"]))
                elif op == "erase":
                    await ratings.erase_rater(conn, site, rng.choice(raters))
                await assert_aggregates_exact(conn, site)
            duplicates = await conn.fetchval(
                "SELECT count(*) FROM (SELECT FROM ratings WHERE site_id = $1 AND status = "
                "'approved' GROUP BY author, rater HAVING count(*) > 1) d", site)
            assert duplicates == 0


def test_summary_formulas():
    agg = ratings.Aggregate(4, 16, (0, 0, 0, 4, 0))
    out = ratings.summary("kj", agg, prior_mean=3.0, prior_weight=5.0)
    assert out["average"] == 4.0
    assert out["bayesian_average"] == round((5 * 3.0 + 16) / 9, 3)
    assert out["histogram"] == {"1": 0, "2": 0, "3": 0, "4": 4, "5": 0}
    assert 1.0 <= out["confidence"]["low"] < 4.0 < out["confidence"]["high"] <= 5.0
    many = ratings.summary("kj", ratings.Aggregate(400, 1600, (0, 0, 0, 400, 0)), 3.0, 5.0)
    assert many["confidence"]["high"] - many["confidence"]["low"] < 0.2  # narrows with count
    assert ratings.summary("kj", ratings.EMPTY, 3.0, 5.0) == {
        "author": "kj", "count": 0, "average": None, "bayesian_average": None,
        "histogram": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}, "confidence": None}
