"""What the queue knows about each kind of item: how to decide a claimed batch of its jobs.

Deciding finishes the jobs this worker still holds and applies their judgements, atomically per
job, and stores the verdicts, the audit rows and held items' review priorities. The claim has
already read the items (moderation.queue.jobs.CLAIM).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

import asyncpg

from moderation.comments import store as comments
from moderation.config import Config
from moderation.judging.pipeline import Judgement
from moderation.mail import store as mail
from moderation.queue import jobs as queue
from moderation.ratings import store as ratings
from moderation.review import store as review

# (the kind's claimed jobs, their judgements by job id) -> (jobs finished, judgements applied,
# each with the status actually stored)
Decide = Callable[[asyncpg.Connection, list[asyncpg.Record], dict[int, Judgement]],
                  Awaitable[tuple[int, list[Judgement]]]]


async def decide_ratings(conn, jobs: list[asyncpg.Record],
                         judged: dict[int, Judgement]) -> tuple[int, list[Judgement]]:
    """One transaction: a rating's status change takes its site's lock row first and retires a
    replaced rating in a statement of its own (moderation.ratings.store.apply_statuses)."""
    async with conn.transaction():
        owned = await queue.finish(conn, jobs)
        mine = [judged[job["job_id"]] for job in jobs
                if (job["site_id"], job["job_id"]) in owned and job["job_id"] in judged]
        stored = await ratings.apply_decisions(conn, [(j.item, j.status) for j in mine])
        by_item = {(j.item.key, j.item.version): j for j in mine}
        applied = [replace(by_item[(item.key, item.version)], status=status)
                   for item, status in stored]
        await queue.record(conn, applied, actor="rules")
        await prioritize_ratings(conn, applied)
    return len(owned), applied


async def prioritize_ratings(conn, applied: list[Judgement]) -> None:
    """Held ratings get a review priority: how sure the rules that held them were."""
    await review.set_priorities(conn, "rating", [(j.item.site_id, j.item.item_id, j.priority)
                                                 for j in applied if j.status == "held"])


DECIDE: dict[str, Decide] = {"comment": comments.apply_decisions, "rating": decide_ratings}

# Kinds of jobs that are work to do rather than items to judge: (claimed jobs, configuration) ->
# jobs finished. Each finishes or fails its own jobs.
Deliver = Callable[[asyncpg.Connection, list[asyncpg.Record], Config], Awaitable[int]]
DELIVER: dict[str, Deliver] = {"email": mail.deliver}
