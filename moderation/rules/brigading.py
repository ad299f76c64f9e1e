"""brigading: ratings for one author arriving far above that author's usual rate, mostly from new
raters → hold the new raters' ratings of the burst for review.

"Usual" is the author's rate over the 30 days before the last hour (spread over at least a day,
so one early rating does not read as a high rate); the burst is the last hour. A rater is new
when they had not rated anything on the site before the burst began. Raters with history are
never held by this rule, and a burst must reach `min_burst` ratings, so the first ratings of a
new author and a busy day for a popular one are approved. One rating per rater and author needs
no rule: a newer rating replaces the older one when it is approved (moderation.ratings).
"""

from datetime import datetime
from typing import Any, Literal, Sequence

from pydantic import Field

from moderation.rules.base import Item, Rule, RuleContext, RuleParams, Verdict

NAME = "brigading"
BURST_S = 3600
BASELINE_S = 30 * 86_400
MIN_BASELINE_S = 86_400

# One statement per batch: the burst and baseline of each (site, author) in the batch, measured
# up to the newest of its ratings there, and whether each rating's rater has history.
BURST_FACTS = f"""
WITH i AS (
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::timestamptz[])
                  AS i(site_id, rating_id, author, rater, created_at)
), g AS (
    SELECT site_id, author, max(created_at) AS anchor,
           max(created_at) - make_interval(secs => {BURST_S}) AS burst_start
      FROM i GROUP BY site_id, author
), f AS (
    SELECT g.*, w.recent, w.recent_new, b.baseline, b.first_at FROM g
    CROSS JOIN LATERAL (
        SELECT count(*) AS recent,
               count(*) FILTER (WHERE NOT EXISTS (
                   SELECT FROM ratings p WHERE p.site_id = r.site_id AND p.rater = r.rater
                                           AND p.created_at <= g.burst_start)) AS recent_new
          FROM ratings r
         WHERE r.site_id = g.site_id AND r.author = g.author
           AND r.created_at > g.burst_start AND r.created_at <= g.anchor) w
    CROSS JOIN LATERAL (
        SELECT count(*) AS baseline, min(r.created_at) AS first_at FROM ratings r
         WHERE r.site_id = g.site_id AND r.author = g.author
           AND r.created_at > g.burst_start - make_interval(secs => {BASELINE_S})
           AND r.created_at <= g.burst_start) b
)
SELECT i.site_id, i.rating_id, f.recent, f.recent_new, f.baseline,
       extract(epoch FROM f.burst_start - f.first_at)::float8 AS baseline_s,
       EXISTS (SELECT FROM ratings p WHERE p.site_id = i.site_id AND p.rater = i.rater
                                       AND p.created_at <= f.burst_start) AS established
  FROM i JOIN f ON f.site_id = i.site_id AND f.author = i.author"""


class BrigadingParams(RuleParams):
    action: Literal["hold", "reject"] = "hold"
    # Fewer ratings than this in an hour is never a burst.
    min_burst: int = Field(default=20, ge=2, le=100_000)
    # A burst is this many times the author's usual hourly rate (at least one an hour).
    factor: float = Field(default=5.0, ge=1.0, le=1000.0)
    # ...with at least this share of it from new raters.
    min_new_share: float = Field(default=0.6, ge=0.0, le=1.0)


async def load_facts(conn: Any, items: Sequence[Item], now: datetime) -> dict[tuple, Any]:
    ratings = [i for i in items if i.kind == "rating"]
    if not ratings:
        return {}
    rows = await conn.fetch(BURST_FACTS, [i.site_id for i in ratings], [i.item_id for i in ratings],
                            [i.author for i in ratings], [i.commenter for i in ratings],
                            [i.created_at for i in ratings])
    return {(r["site_id"], "rating", r["rating_id"]): {
        "recent": r["recent"], "recent_new": r["recent_new"], "baseline": r["baseline"],
        "baseline_s": r["baseline_s"], "established": r["established"]} for r in rows}


def usual_per_hour(baseline: int, baseline_s: float | None) -> float:
    if not baseline or baseline_s is None:
        return 0.0
    return baseline / (min(max(baseline_s, MIN_BASELINE_S), BASELINE_S) / 3600)


def check(ctx: RuleContext, params: BrigadingParams) -> Verdict:
    facts = ctx.facts.get(NAME)
    if not facts or facts["established"]:
        return Verdict(NAME, "allow")
    recent, recent_new = facts["recent"], facts["recent_new"]
    usual = usual_per_hour(facts["baseline"], facts["baseline_s"])
    threshold = max(params.min_burst, params.factor * max(usual, 1.0))
    details = {"last_hour": recent, "from_new_raters": recent_new, "usual_per_hour": round(usual, 2)}
    if recent < threshold or recent_new < params.min_new_share * recent:
        return Verdict(NAME, "allow", 0.0, "", details)
    return Verdict(NAME, params.action, min(1.0, recent / (2 * threshold)),
                   f"{recent} ratings for this author in the last hour ({recent_new} from new "
                   f"raters), usually {usual:.1f} an hour", details)


RULE = Rule(NAME, frozenset({"rating"}), BrigadingParams, check, load_facts)
