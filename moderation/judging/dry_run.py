"""Dry-run: replays a site's recent comments through proposed settings and word lists.

Both the current and the proposed configuration judge the same items with the same facts, read
in one read-only transaction, so the difference is the proposal's alone; nothing is written.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import asyncpg

from moderation.errors import ApiError
from moderation.judging import pipeline
from moderation.judging.site_views import SiteViews
from moderation.rules import rules_for
from moderation.rules.base import Item, SiteView
from moderation.sites.settings import SiteSettings
from moderation.text.wordlists import compile_wordlist

RECENT_COMMENTS = """
SELECT site_id, comment_id, version, created_at, commenter, ip_hash, thread, parent_id, body,
       signals, verified
  FROM comments
 WHERE site_id = $1 AND status NOT IN ('pending', 'deleted')
 ORDER BY created_at DESC, comment_id DESC LIMIT $2"""

YIELD_EVERY = 100
MAX_EXAMPLES = 20
EXCERPT_CHARS = 200


@dataclass(frozen=True)
class Proposal:
    settings: SiteSettings | None = None
    wordlists: dict[str, list[str]] | None = None


# Dry-runs judge up to 10,000 items twice on the API's event loop: one per site at a time and
# a few in all per process, so admins cannot take the API's CPU between them.
MAX_RUNNING = 2
BUSY_RETRY_S = 5


class DryRuns:
    """Which sites' dry-runs are running in this process (app key DRY_RUNS)."""

    def __init__(self, max_running: int = MAX_RUNNING) -> None:
        self.max_running = max_running
        self.running: set[str] = set()

    @contextmanager
    def slot(self, site_id: str) -> Iterator[None]:
        """Holds the site's slot for one dry-run; 429 dry_run_busy when none is free."""
        if site_id in self.running:
            raise busy("a dry-run of this site is running; try again when it is done")
        if len(self.running) >= self.max_running:
            raise busy("too many dry-runs are running; try again shortly")
        self.running.add(site_id)
        try:
            yield
        finally:
            self.running.discard(site_id)


def busy(message: str) -> ApiError:
    return ApiError(429, "dry_run_busy", message, headers={"Retry-After": str(BUSY_RETRY_S)})


async def replay(pool: asyncpg.Pool, site_id: str, proposal: Proposal, limit: int, now: datetime) -> dict:
    """Reads the history on a connection of `pool`, gives it back, then judges (which takes
    far longer than reading) without holding one."""
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        rows = await conn.fetch(RECENT_COMMENTS, site_id, limit)
        items = [Item(kind="comment", site_id=r["site_id"], item_id=r["comment_id"],
                      version=r["version"], created_at=r["created_at"], commenter=r["commenter"],
                      ip_hash=r["ip_hash"], thread=r["thread"], parent_id=r["parent_id"],
                      body=r["body"], verified=r["verified"], signals=r["signals"] or {})
                 for r in rows]
        current = (await SiteViews().load(conn, {site_id}))[site_id]
        rules = rules_for("comment")
        facts = await pipeline.load_facts(conn, items, now, rules)
    proposed = propose(current, proposal)
    by_change: Counter[str] = Counter()
    examples: list[dict[str, Any]] = []
    for n, item in enumerate(items):
        if n % YIELD_EVERY == 0:
            # Up to 10,000 items judged twice: let the API and the workers in this process run.
            await asyncio.sleep(0)
        before = pipeline.judge(item, current, current.params, rules, facts[item.key], now)
        after = pipeline.judge(item, proposed, proposed.params, rules, facts[item.key], now)
        if before.status == after.status:
            continue
        change = f"{before.status}->{after.status}"
        by_change[change] += 1
        if len(examples) < MAX_EXAMPLES:
            examples.append({
                "id": str(item.item_id), "body": item.body[:EXCERPT_CHARS],
                "before": before.status, "after": after.status,
                "verdicts": [{"rule": v.rule, "action": v.action, "score": v.score,
                              "reason": v.reason} for v in after.verdicts if v.action != "allow"]})
    return {"replayed": len(items), "changed": sum(by_change.values()),
            "by_change": dict(sorted(by_change.items())), "examples": examples}


def propose(current: SiteView, proposal: Proposal) -> SiteView:
    view = current
    if proposal.settings is not None:
        view = replace(view, settings=proposal.settings, params=proposal.settings.rule_params())
    if proposal.wordlists:
        lists = dict(view.wordlists)
        for name, words in proposal.wordlists.items():
            lists[name] = compile_wordlist(words, -1)
        view = replace(view, wordlists=lists)
    return view
