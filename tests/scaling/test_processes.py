"""Several API processes and a separate rule worker against one database, as a scaled-out
deployment runs: two real `moderation serve` processes without workers (A and B) and one
`moderation worker` process, on 127.0.0.1, all on the suite's PostgreSQL.

Comments posted to either API process are decided once, by the worker process; a reader
connected to one process hears what the other accepted; what is changed through one process
(a moderator's decision, a site's settings) reaches the other's shared answers and site cache
within their bounds (PAGE_CACHE_S, RATING_CACHE_S, SITE_CACHE_S)."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import orjson
import pytest

from moderation.sites import store as sites
from tests.factories import make_token, site_settings
from tests.faults.helpers import Process, diagnose, wait_until

# The processes' bounds on staleness: a test that waits past them (plus the slack a busy
# 2-core machine needs to answer) fails.
PAGE_CACHE_S = 1.0
RATING_CACHE_S = 1.0
SITE_CACHE_S = 2.0
SLACK_S = 5.0

ORIGIN = "https://news.example"

# Per comment of the site: its status, its rule decisions in the audit, its published events
# (a second decision would publish again) and its job if any.
DECIDED = """
SELECT c.comment_id, c.status, c.version,
       (SELECT count(*) FROM audit a WHERE a.site_id = c.site_id AND a.kind = 'comment'
           AND a.item_id = c.comment_id AND a.actor = 'rules') AS decisions,
       (SELECT count(*) FROM thread_events e WHERE e.site_id = c.site_id AND e.thread = c.thread
           AND e.type = 'comment.published' AND e.data->>'id' = c.comment_id::text) AS published,
       (SELECT count(*) FROM jobs j WHERE j.site_id = c.site_id AND j.kind = 'comment'
           AND j.item_id = c.comment_id) AS jobs
  FROM comments c WHERE c.site_id = $1 ORDER BY c.comment_id"""

LIVE_LISTENERS = """
SELECT count(*) FROM pg_stat_activity
 WHERE application_name = 'moderation live' AND query ILIKE 'LISTEN%'"""


class Api:
    """An HTTP client of one process."""

    def __init__(self, process: Process, session: aiohttp.ClientSession) -> None:
        self.process = process
        self.session = session

    def url(self, path: str) -> str:
        return f"{self.process.base}{path}"

    async def json(self, method: str, path: str, expect: int, **kwargs) -> dict:
        async with self.session.request(method, self.url(path), **kwargs) as response:
            text = await response.text()
            assert response.status == expect, f"{method} {path} on {self.process.port}: {text}"
            return orjson.loads(text)

    async def status(self, method: str, path: str, **kwargs) -> int:
        async with self.session.request(method, self.url(path), **kwargs) as response:
            await response.read()
            return response.status


@pytest.fixture(scope="module")
async def deployment(database_url, pool, tmp_path_factory):
    """(A, B, worker): two API processes and a worker process, ready, stopped after the
    module's tests (each test has sites of its own)."""
    tmp_path = tmp_path_factory.mktemp("processes")
    common = dict(workers=0, page_cache_s=PAGE_CACHE_S, rating_cache_s=RATING_CACHE_S,
                  site_cache_s=SITE_CACHE_S, poll_interval_s=0.5, access_log="false")
    a = Process("serve", database_url, tmp_path / "a.log", **common)
    b = Process("serve", database_url, tmp_path / "b.log", **common)
    worker = Process("worker", database_url, tmp_path / "worker.log", workers=2,
                     poll_interval_s=0.5, batch_size=10)
    processes = (a, b, worker)
    try:
        for process in processes:
            await process.start()
        with diagnose(*processes):
            await asyncio.gather(*(p.wait_http_ready() for p in processes))
            # Both API processes hear thread events (their LISTEN is up) before a test posts.
            await wait_until(lambda: at_least(pool, LIVE_LISTENERS, 2), timeout=30,
                             what="both API processes to LISTEN for thread events")
        yield processes
    finally:
        for process in processes:
            await process.kill()


async def at_least(pool, query: str, count: int) -> bool:
    return await pool.fetchval(query) >= count


@pytest.fixture(scope="module")
async def apis(deployment):
    a, b, _ = deployment
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield Api(a, session), Api(b, session)


async def calm_site(pool, new_site) -> str:
    """A site where one test address may post many comments (no flood or duplicate holds)."""
    site = await new_site()
    await sites.save_settings(pool, site, site_settings(
        rules={"flood": {"enabled": False}, "duplicate": {"enabled": False}}))
    return site


def comment(text: str) -> dict:
    return {"body": text, "commenter": {"name": "Reader"}, "elapsed_ms": 30_000}


async def post(api: Api, site: str, thread: str, text: str) -> dict:
    return await api.json("POST", f"/v1/sites/{site}/threads/{thread}/comments", 202,
                          json=comment(text))


async def events_until(stream: aiohttp.ClientResponse, wanted: set[str], kind: str,
                       timeout: float = 30) -> set[str]:
    """Reads the SSE stream until events of `kind` named every id in `wanted`; returns them."""
    heard: set[str] = set()
    fields: dict[str, str] = {}
    async with asyncio.timeout(timeout):
        while not wanted <= heard:
            line = (await stream.content.readline()).decode().rstrip("\n")
            if line:
                if not line.startswith(":"):
                    name, _, value = line.partition(": ")
                    fields[name] = value
                continue
            if fields.get("event") == kind:
                heard.add(orjson.loads(fields["data"])["id"])
            fields = {}
    return heard


async def test_comments_posted_to_either_process_are_decided_once_and_heard_on_both(
        deployment, apis, pool, new_site):
    a, b = apis
    site = await calm_site(pool, new_site)
    thread = "election-night"
    events = f"/v1/sites/{site}/threads/{thread}/events"
    with diagnose(*deployment):
        async with a.session.get(a.url(events)) as on_a, b.session.get(b.url(events)) as on_b:
            assert on_a.status == on_b.status == 200
            posted = await asyncio.gather(*(
                post(api, site, thread, f"Turnout in ward {n} looked higher than last time.")
                for n in range(15) for api in (a, b)))
            ids = {p["id"] for p in posted}
            by_a = {p["id"] for p in posted[0::2]}
            by_b = {p["id"] for p in posted[1::2]}
            # Each reader hears every publication, the other process's comments included.
            assert await events_until(on_b, ids, "comment.published") >= by_a
            assert await events_until(on_a, ids, "comment.published") >= by_b

        async def all_decided():
            rows = await pool.fetch(DECIDED, site)
            return rows if all(r["status"] != "pending" for r in rows) else None
        rows = await wait_until(all_decided, timeout=60, what="every comment to be decided")
        assert {str(r["comment_id"]) for r in rows} == ids
        for row in rows:
            assert (row["status"], row["version"], row["decisions"], row["published"],
                    row["jobs"]) == ("approved", 1, 1, 1, 0), dict(row)
        # Both processes count and show all of them (shared answers expire within PAGE_CACHE_S).
        for api in (a, b):
            async def shows_all(api=api):
                page = await api.json("GET", f"/v1/sites/{site}/threads/{thread}/comments", 200,
                                      params={"limit": 50})
                return page["total"] == len(ids) and {i["id"] for i in page["items"]} == ids
            await wait_until(shows_all, timeout=PAGE_CACHE_S + SLACK_S, what="the full page")


async def test_a_decision_through_one_process_reaches_the_other_process_cached_page(
        deployment, apis, pool, new_site):
    a, b = apis
    site = await calm_site(pool, new_site)
    admin = {"Authorization": f"Bearer {await make_token(pool, site, 'admin')}"}
    thread = "budget"
    page_path = f"/v1/sites/{site}/threads/{thread}/comments"
    with diagnose(*deployment):
        # Premoderation switched on through B applies at once to a comment accepted by A: the
        # worker process reads the settings' version with every batch.
        await b.json("PATCH", f"/v1/sites/{site}/settings", 200, headers=admin,
                     json={"premoderation": "all"})
        held = await post(a, site, thread, "The budget leaves the libraries short again.")
        mine = {"X-Edit-Token": held["edit_token"]}

        async def status_on_a():
            own = await a.json("GET", f"/v1/sites/{site}/comments/{held['id']}", 200, headers=mine)
            return own["status"] if own["status"] != "pending" else None
        assert await wait_until(status_on_a, timeout=30, what="the comment's decision") == "held"

        # A shares its page (nothing on it yet) with every reader for PAGE_CACHE_S.
        empty = await a.json("GET", page_path, 200)
        assert empty["total"] == 0

        async def page_on_a_has(present: bool):
            page = await a.json("GET", page_path, 200)
            return (held["id"] in {i["id"] for i in page["items"]}) == present

        # A moderator approves it through B: A's page shows it within its sharing bound.
        approved = await b.json("POST", f"/v1/sites/{site}/queue/comment/{held['id']}/decision",
                                200, headers=admin, json={"action": "approve"})
        assert approved["status"] == "approved"
        started = time.monotonic()
        await wait_until(lambda: page_on_a_has(True), timeout=PAGE_CACHE_S + SLACK_S,
                         what="A's page to show the comment approved through B")
        counts = await a.json("GET", f"/v1/sites/{site}/counts", 200, params={"thread": thread})
        assert counts == {"counts": {thread: 1}}

        # Rejected through B: it leaves A's page, and A's readers are told live.
        async with a.session.get(a.url(f"/v1/sites/{site}/threads/{thread}/events")) as on_a:
            await b.json("POST", f"/v1/sites/{site}/queue/comment/{held['id']}/decision", 200,
                         headers=admin, json={"action": "reject"})
            assert await events_until(on_a, {held["id"]}, "comment.removed") == {held["id"]}
        await wait_until(lambda: page_on_a_has(False), timeout=PAGE_CACHE_S + SLACK_S,
                         what="A's page to drop the comment rejected through B")
        assert time.monotonic() - started < 2 * (PAGE_CACHE_S + SLACK_S)


async def test_a_rating_and_a_site_setting_changed_through_one_process_reach_the_other(
        deployment, apis, pool, new_site):
    a, b = apis
    site = await calm_site(pool, new_site)
    admin = {"Authorization": f"Bearer {await make_token(pool, site, 'admin')}"}
    rating_path = f"/v1/sites/{site}/authors/killian-jones/rating"
    with diagnose(*deployment):
        # B shares the author's empty rating; a rating accepted by A and decided by the worker
        # process shows on B within RATING_CACHE_S.
        assert (await b.json("GET", rating_path, 200))["count"] == 0
        await a.json("POST", f"/v1/sites/{site}/authors/killian-jones/ratings", 202,
                     json={"score": 4, "rater": {"fingerprint": "browser-1"}})

        async def rated_on_b():
            return (await b.json("GET", rating_path, 200))["count"] == 1
        await wait_until(rated_on_b, timeout=30, what="B to show the rating accepted by A")

        # An origin allowed through B is allowed by A within SITE_CACHE_S (an empty comment is
        # 403 from an origin the process does not allow yet, else 422: nothing is stored).
        newcomer = "https://partner.example"
        empty = dict(json={}, headers={"Origin": newcomer})
        probe = f"/v1/sites/{site}/threads/t/comments"
        assert await a.status("POST", probe, **empty) == 403
        await b.json("PATCH", f"/v1/sites/{site}/settings", 200, headers=admin,
                     json={"allowed_origins": [ORIGIN, newcomer]})
        assert await b.status("POST", probe, **empty) == 422  # B forgot its copy at once

        async def allowed_on_a():
            return await a.status("POST", probe, **empty) == 422
        await wait_until(allowed_on_a, timeout=SITE_CACHE_S + SLACK_S,
                         what="A to allow the origin added through B")
