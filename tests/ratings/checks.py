"""Checks for rating tests: statuses as stored, and aggregates equal to a recomputation."""

from __future__ import annotations


async def rating_statuses(pool, site: str) -> dict[int, str]:
    rows = await pool.fetch("SELECT rating_id, status FROM ratings WHERE site_id = $1", site)
    return {row["rating_id"]: row["status"] for row in rows}


RECOMPUTE = """
SELECT author, count(*) AS count, sum(score) AS sum,
       count(*) FILTER (WHERE score = 1) AS h1, count(*) FILTER (WHERE score = 2) AS h2,
       count(*) FILTER (WHERE score = 3) AS h3, count(*) FILTER (WHERE score = 4) AS h4,
       count(*) FILTER (WHERE score = 5) AS h5
  FROM ratings WHERE site_id = $1 AND status = 'approved' GROUP BY author"""

STORED = """
SELECT author, count, sum, h1, h2, h3, h4, h5 FROM author_ratings
 WHERE site_id = $1 AND count > 0"""


async def assert_aggregates_exact(conn, site: str) -> None:
    """The stored aggregates equal a recomputation from the ratings table."""
    expected = {r["author"]: tuple(r.values())[1:] for r in await conn.fetch(RECOMPUTE, site)}
    stored = {r["author"]: tuple(r.values())[1:] for r in await conn.fetch(STORED, site)}
    assert stored == expected
    totals = await conn.fetchrow("SELECT count, sum FROM site_rating_totals WHERE site_id = $1", site)
    count = sum(v[0] for v in expected.values())
    total = sum(v[1] for v in expected.values())
    found = (totals["count"], totals["sum"]) if totals else (0, 0)
    assert found == (count, total)
