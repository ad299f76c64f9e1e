"""Live threads: Server-Sent Events of a thread through LISTEN/NOTIFY, resumable with
Last-Event-ID, and the bounded buffer that drops a subscriber that never reads."""

from __future__ import annotations

import asyncio

import orjson

from moderation.live.handlers import THREAD_EVENTS
from moderation.live.hub import BUFFER_EVENTS, ThreadEvents
from moderation.sites import store as sites
from tests.conftest import wait_for
from tests.factories import decide, post_comment, site_settings


async def next_event(stream) -> dict:
    """The next event of an SSE stream (comments and the retry line skipped)."""
    fields: dict = {}
    async with asyncio.timeout(10):
        while True:
            line = (await stream.content.readline()).decode().rstrip("\n")
            if not line:
                if "event" in fields:
                    return {**fields, "data": orjson.loads(fields["data"])}
                fields = {}
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(": ")
            fields[name] = value


async def listening(client) -> None:
    events = client.app[THREAD_EVENTS]

    async def connected():
        return events.connected.is_set()
    await wait_for(connected)


async def setup(make_client, pool, site):
    await sites.save_settings(pool, site, site_settings(
        rules={"flood": {"enabled": False}, "duplicate": {"enabled": False}}))
    client = await make_client()
    await listening(client)
    return client


async def test_a_stream_tells_published_votes_edited_and_removed(make_client, pool, site):
    client = await setup(make_client, pool, site)
    stream = await client.get(f"/v1/sites/{site}/threads/live/events")
    assert stream.status == 200
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    comment = await post_comment(client, site, thread="live", text="Breaking: a live comment.")
    published = await next_event(stream)
    assert published["event"] == "comment.published"
    assert published["data"] == {"id": comment["id"], "parent_id": None,
                                 "votes": {"up": 0, "down": 0}}
    vote = await client.post(f"/v1/sites/{site}/comments/{comment['id']}/votes", json={"value": 1})
    assert vote.status == 200
    votes = await next_event(stream)
    assert votes["event"] == "votes" and votes["data"]["votes"] == {"up": 1, "down": 0}
    assert int(votes["id"]) > int(published["id"])
    await client.patch(f"/v1/sites/{site}/comments/{comment['id']}", json={"body": "Updated."},
                       headers={"X-Edit-Token": comment["edit_token"]})
    assert (await next_event(stream))["event"] == "comment.edited"
    await client.delete(f"/v1/sites/{site}/comments/{comment['id']}",
                        headers={"X-Edit-Token": comment["edit_token"]})
    removed = await next_event(stream)
    assert removed["event"] == "comment.removed" and removed["data"]["id"] == comment["id"]
    stream.close()


async def test_other_threads_and_sites_are_not_told(make_client, pool, site, new_site):
    client = await setup(make_client, pool, site)
    other = await new_site()
    stream = await client.get(f"/v1/sites/{site}/threads/mine/events")
    await post_comment(client, other, thread="mine", text="On another site.")
    await post_comment(client, site, thread="elsewhere", text="In another thread.")
    ours = await post_comment(client, site, thread="mine", text="In this thread.")
    event = await next_event(stream)
    assert event["data"]["id"] == ours["id"]
    stream.close()
    assert (await client.get("/v1/sites/no-such-site/threads/mine/events")).status == 404
    assert (await client.get(f"/v1/sites/{site}/threads/bad%20slug/events")).status == 422


async def test_resume_with_last_event_id_sends_what_was_missed(make_client, pool, site):
    client = await setup(make_client, pool, site)
    url = f"/v1/sites/{site}/threads/resume/events"
    stream = await client.get(url)
    first = await post_comment(client, site, thread="resume", text="Seen before the drop.")
    seen = await next_event(stream)
    assert seen["data"]["id"] == first["id"]
    stream.close()
    missed = [await post_comment(client, site, thread="resume", text=f"Missed number {n}.")
              for n in range(2)]
    await wait_for(lambda: pool.fetchval(
        "SELECT count(*) = 3 FROM thread_events WHERE site_id = $1 AND thread = 'resume'", site))
    resumed = await client.get(url, headers={"Last-Event-ID": seen["id"]})
    replayed = [await next_event(resumed), await next_event(resumed)]
    assert sorted(e["data"]["id"] for e in replayed) == sorted(m["id"] for m in missed)
    resumed.close()
    # The same as a query parameter, for a client that reconnects on its own terms.
    by_query = await client.get(url + f"?last_event_id={replayed[0]['id']}")
    assert (await next_event(by_query))["id"] == replayed[1]["id"]
    by_query.close()
    assert (await client.get(url, headers={"Last-Event-ID": "soon"})).status == 400


async def test_cross_origin_readers_of_allowed_origins_may_listen(make_client, pool, new_site):
    site = await new_site(origins=["https://news.example"])
    client = await make_client(workers=0)
    allowed = await client.get(f"/v1/sites/{site}/threads/t/events",
                               headers={"Origin": "https://news.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://news.example"
    allowed.close()
    other = await client.get(f"/v1/sites/{site}/threads/t/events",
                             headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    other.close()


def test_a_subscriber_that_never_reads_is_dropped_at_its_buffer():
    events = ThreadEvents(connect=None)
    ended = []
    slow = events.subscribe((("s", "t"),), lambda: ended.append("slow"))
    events.subscribe((("s", "other"),), lambda: ended.append("other"))
    for n in range(1, BUFFER_EVENTS + 2):
        events.on_notify(None, 0, "", orjson.dumps([{
            "site": "s", "thread": "t", "id": n, "type": "votes",
            "data": {"id": "1", "votes": {"up": n, "down": 0}}}]).decode())
    assert ended == ["slow"] and slow.dropped and slow.queue.qsize() == BUFFER_EVENTS
    events.unsubscribe(slow)
    assert events.dropped == 1 and events.count() == 1


async def test_moderators_hear_the_waiting_count_change(make_client, pool, site, new_site):
    client = await setup(make_client, pool, site)
    token = await sites.create_token(pool, site, "moderator", "mona")
    others = await sites.create_token(pool, await new_site(), "moderator", "otto")
    url = f"/v1/sites/{site}/queue/events"
    assert (await client.get(url)).status == 401
    assert (await client.get(url, headers={"Authorization": f"Bearer {others}"})).status == 404
    stream = await client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert stream.status == 200
    assert (await next_event(stream))["data"] == {"comment": 0, "rating": 0, "appeal": 0}
    held = await post_comment(client, site, text="You are an idiot and this article is garbage")
    assert (await next_event(stream))["data"] == {"comment": 1, "rating": 0, "appeal": 0}
    decision = await decide(client, site, held["id"], "reject", token)
    assert decision.status == 200
    assert (await next_event(stream))["data"] == {"comment": 0, "rating": 0, "appeal": 0}
    stream.close()


async def test_a_stream_for_an_author_tells_the_rating(make_client, pool, site):
    client = await setup(make_client, pool, site)
    stream = await client.get(f"/v1/sites/{site}/threads/story/events?author=killian-jones")
    rated = await client.post(f"/v1/sites/{site}/authors/killian-jones/ratings",
                              json={"score": 4, "rater": {"fingerprint": "f1"}})
    assert rated.status == 202
    event = await next_event(stream)
    assert event["event"] == "rating"
    assert event["data"] == {"author": "killian-jones", "count": 1, "average": 4}
    stream.close()
    # A resume covers the author's events too.
    resumed = await client.get(f"/v1/sites/{site}/threads/story/events?author=killian-jones",
                               headers={"Last-Event-ID": str(int(event["id"]) - 1)})
    assert (await next_event(resumed))["id"] == event["id"]
    resumed.close()


async def test_a_burst_of_events_reaches_a_reader_that_keeps_up(make_client, pool, site):
    client = await setup(make_client, pool, site)
    await pool.execute(
        "INSERT INTO comments (site_id, thread, commenter, author_name, body) "
        "SELECT $1, 'burst', 'c' || n, 'Reader', 'Comment ' || n FROM generate_series(1, 300) n",
        site)
    stream = await client.get(f"/v1/sites/{site}/threads/burst/events")
    # One statement publishes all 300 (a moderator's bulk approval does the same).
    await pool.execute("UPDATE comments SET status = 'approved' WHERE site_id = $1 AND thread = 'burst'",
                       site)
    seen = [await next_event(stream) for _ in range(300)]
    assert {e["event"] for e in seen} == {"comment.published"}
    assert len({e["data"]["id"] for e in seen}) == 300
    assert [int(e["id"]) for e in seen] == sorted(int(e["id"]) for e in seen)
    stream.close()


async def test_one_address_holds_a_bounded_number_of_streams(make_client, pool, site):
    client = await make_client(workers=0, sse_per_address=2)
    url = f"/v1/sites/{site}/threads/t/events"
    mine = {"X-Forwarded-For": "192.0.2.10"}
    first, second = await client.get(url, headers=mine), await client.get(url, headers=mine)
    third = await client.get(url, headers=mine)
    assert third.status == 429 and (await third.json())["error"]["code"] == "too_many_streams"
    other = await client.get(url, headers={"X-Forwarded-For": "192.0.2.11"})
    assert other.status == 200
    first.close()
    await wait_for(lambda: _reopened(client, url, mine))
    for stream in (second, other):
        stream.close()


async def test_a_burst_of_resuming_streams_from_one_address_stays_within_its_bound(
        make_client, pool, site):
    """Resuming reads the database before streaming: the slot is taken before that wait, so
    requests arriving together cannot all pass the check."""
    client = await make_client(workers=0, sse_per_address=2)
    url = f"/v1/sites/{site}/threads/t/events"
    mine = {"X-Forwarded-For": "192.0.2.20", "Last-Event-ID": "1"}
    answers = await asyncio.gather(*(client.get(url, headers=mine) for _ in range(8)))
    assert sorted(a.status for a in answers) == [200, 200] + [429] * 6
    for answer in answers:
        answer.close()


async def _reopened(client, url, headers) -> bool:
    response = await client.get(url, headers=headers)
    response.close()
    return response.status == 200
