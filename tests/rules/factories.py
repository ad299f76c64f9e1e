"""Small factories for rule tests: an Item, a SiteView and a RuleContext with sensible defaults;
the plan of the comment facts statement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from moderation.rules.base import Item, RuleContext, SiteView
from moderation.rules.facts import comments as comment_facts
from moderation.text.wordlists import compile_wordlist

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


def make_item(body: str = "A perfectly ordinary comment.", **overrides: Any) -> Item:
    defaults: dict[str, Any] = dict(kind="comment", site_id="ustv", item_id=1, version=1,
                                    created_at=NOW, commenter="c1", thread="t1", body=body)
    return Item(**{**defaults, **overrides})


def make_site(banned: Sequence[str] | None = None, suspect: Sequence[str] | None = None,
              **overrides: Any) -> SiteView:
    wordlists = {}
    if banned is not None:
        wordlists["banned"] = compile_wordlist(banned, 1)
    if suspect is not None:
        wordlists["suspect"] = compile_wordlist(suspect, 1)
    defaults: dict[str, Any] = dict(site_id="ustv", settings=None, wordlists=wordlists)
    return SiteView(**{**defaults, **overrides})


def make_context(body: str = "A perfectly ordinary comment.", site: SiteView | None = None,
                 **item_overrides: Any) -> RuleContext:
    return RuleContext(item=make_item(body, **item_overrides), site=site or make_site(), now=NOW)


def default_site() -> SiteView:
    """A site with every default: settings, rule parameters and the starter word lists."""
    from moderation.sites.settings import SiteSettings
    from moderation.text.default_wordlists import BANNED, SUSPECT

    settings = SiteSettings()
    return SiteView("ustv", settings, settings.rule_params(),
                    {"banned": compile_wordlist(BANNED, 1), "suspect": compile_wordlist(SUSPECT, 1)})


def judge_text(body: str, site: SiteView | None = None, facts: dict | None = None):
    """The pipeline's judgement of a first comment without history, as a worker makes it."""
    from moderation.judging.pipeline import judge
    from moderation.rules import rules_for

    site = site or default_site()
    return judge(make_item(body), site, site.params, rules_for("comment"), facts or {}, NOW)


def shown_as_listed(judged, rule: str):
    """A judged comment's verdict of `rule` as the moderators' queue shows it: explained (spans,
    the model's words) from the body, as when a moderator lists the item."""
    from moderation.judging.explain import explain

    return next(v for v in explain(judged.item.body, judged.verdicts) if v.rule == rule)


async def comment_facts_plans(conn, arguments: str, *plan_cache_modes: str) -> list[str]:
    """EXPLAIN of the comment facts statement (COMMENT_FACTS) with `arguments`, prepared once and
    planned in each plan_cache_mode, as a prepared statement would be."""
    await conn.execute("PREPARE facts AS " + comment_facts.COMMENT_FACTS)
    plans = []
    for mode in plan_cache_modes:
        await conn.execute(f"SET plan_cache_mode = {mode}")
        plans.append("\n".join(row[0] for row in await conn.fetch(
            f"EXPLAIN EXECUTE facts({arguments})")))
    return plans
