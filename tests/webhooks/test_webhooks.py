"""Webhooks against a live receiver on 127.0.0.1: signed deliveries, retries with the same
delivery id, dead deliveries, paused and resumed endpoints, secret rotation, refused addresses."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from moderation.clock import utcnow
from moderation.db.pool import connect
from moderation.queue.cleanup import Cleanup
from moderation.sites import store as sites
from moderation.webhooks.delivery import Sender, sender_session
from tests.conftest import make_config
from tests.factories import decide, drain, post_comment
from tests.web.test_auth_and_cors import bearer

ALLOWED = "127.0.0.1"


@dataclass
class Receiver:
    """A webhook receiver that checks signatures as docs/webhooks.md tells receivers to."""

    secrets: list[str] = field(default_factory=list)
    # Statuses to answer with next, in order; then 200.
    script: list[int] = field(default_factory=list)
    received: list[dict] = field(default_factory=list)
    redirect_target_hits: int = 0
    delay_s: float = 0.0
    server: TestServer | None = None
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    def url(self, path: str = "/hook") -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}{path}"

    def verified(self, request: web.Request, body: bytes) -> bool:
        parts = [p.split("=", 1) for p in request.headers["X-Moderation-Signature"].split(",")]
        timestamp = next(v for k, v in parts if k == "t")
        if abs(time.time() - int(timestamp)) > 300:
            return False
        for secret in self.secrets:
            expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body,
                                hashlib.sha256).hexdigest()
            if any(k == "v1" and hmac.compare_digest(v, expected) for k, v in parts):
                return True
        return False

    async def hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if not self.verified(request, body):
            return web.Response(status=401)
        self.received.append({"delivery": request.headers["X-Moderation-Delivery"],
                              "event": request.headers["X-Moderation-Event"],
                              "signature": request.headers["X-Moderation-Signature"],
                              "json": await request.json()})
        async with self.arrived:
            self.arrived.notify_all()
        return web.Response(status=self.script.pop(0) if self.script else 200)

    async def wait_until_received(self, count: int) -> list[dict]:
        """The deliveries once `count` have arrived; the caller's timeout bounds the wait."""
        async with self.arrived:
            await self.arrived.wait_for(lambda: len(self.received) >= count)
        return self.received

    async def moved(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(self.url("/target"))

    async def target(self, request: web.Request) -> web.Response:
        self.redirect_target_hits += 1
        return web.Response(status=200)


@pytest.fixture
async def receiver(pool):
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.hook)
    app.router.add_post("/moved", receiver.moved)
    app.router.add_post("/target", receiver.target)
    receiver.server = TestServer(app, host="127.0.0.1")
    await receiver.server.start_server()
    yield receiver
    await receiver.server.close()
    # Endpoints left behind would make every later test's comments raise events.
    await pool.execute("DELETE FROM webhooks WHERE url LIKE $1", f"http://127.0.0.1:{receiver.server.port}/%")


@pytest.fixture
async def sender(pool):
    """A webhook sender run by hand; the test client runs no workers, so nothing else sends."""
    config = make_config(webhook_allowed_hosts=ALLOWED, webhook_max_attempts=3,
                         webhook_pause_after=4, webhook_timeout_s=1)
    async with sender_session(config) as session:
        yield Sender(pool, session, config, name="test-sender")


@pytest.fixture
async def woken_sender(pool, database_url):
    """A sender running as `serve` runs it, with its LISTEN connection, whose poll would come
    only after an hour; retries come due within a fraction of a second."""
    config = make_config(webhook_allowed_hosts=ALLOWED, webhook_timeout_s=1,
                         webhook_poll_interval_s=3600, webhook_retry_base_s=0.05,
                         webhook_retry_max_s=0.2)
    async with sender_session(config) as session:
        sender = Sender(pool, session, config, name="woken-sender")
        running = asyncio.create_task(sender.run_woken(
            lambda: connect(database_url, config, "listener")))
        async with asyncio.timeout(10):
            await sender.listening.wait()
        yield sender
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


@pytest.fixture
async def api(make_client):
    return await make_client(workers=0, webhook_allowed_hosts=ALLOWED)


async def register(api, site, token, url, events=("comment.created", "comment.approved")):
    response = await api.post(f"/v1/sites/{site}/webhooks", headers=bearer(token),
                              json={"url": url, "events": list(events)})
    assert response.status == 201, await response.text()
    return await response.json()


async def make_due(pool, site):
    """Retries wait out their backoff; the test moves them forward instead."""
    await pool.execute("UPDATE jobs SET available_at = now() WHERE site_id = $1 AND kind = 'webhook'",
                       site)


async def deliveries(api, site, token, webhook_id):
    response = await api.get(f"/v1/sites/{site}/webhooks/{webhook_id}/deliveries",
                             headers=bearer(token))
    assert response.status == 200
    return (await response.json())["items"]


async def test_events_are_delivered_signed_and_listed_with_status_and_time(
        api, site, pool, receiver, sender):
    token = await sites.create_token(pool, site, "admin", "ada")
    hook = await register(api, site, token, receiver.url())
    assert hook["secret"].startswith("whsec_") and hook["events"] == ["comment.created",
                                                                     "comment.approved"]
    receiver.secrets = [hook["secret"]]
    listed = await (await api.get(f"/v1/sites/{site}/webhooks", headers=bearer(token))).json()
    assert [h["id"] for h in listed["items"]] == [hook["id"]]
    assert "secret" not in listed["items"][0]

    comment = await post_comment(api, site, thread="budget-vote", text="Sensible budget.")
    # The event was committed with the comment: its delivery is waiting before any worker ran.
    assert [d["event"] for d in await deliveries(api, site, token, hook["id"])] == ["comment.created"]
    await drain(pool)
    assert await sender.run_once() == 2
    assert [r["event"] for r in sorted(receiver.received, key=lambda r: int(r["delivery"]))] == [
        "comment.created", "comment.approved"]
    approved = next(r for r in receiver.received if r["event"] == "comment.approved")["json"]
    assert set(approved) == {"id", "type", "site", "created_at", "data"}
    assert approved["type"] == "comment.approved" and approved["site"] == site
    assert approved["data"]["comment"]["id"] == comment["id"]
    assert approved["data"]["comment"]["thread"] == "budget-vote"
    assert approved["data"]["comment"]["status"] == "approved"
    assert "email" not in str(approved)

    listed = await deliveries(api, site, token, hook["id"])
    assert [d["status"] for d in listed] == ["delivered", "delivered"]
    assert all(d["response_status"] == 200 and d["response_ms"] >= 0 and d["attempts"] == 1
               for d in listed)

    # Settled deliveries go with the address hashes, after ADDRESS_RETENTION_DAYS.
    await Cleanup(pool, 30, lambda: utcnow() + timedelta(days=29)).run_once()
    assert len(await deliveries(api, site, token, hook["id"])) == 2
    await Cleanup(pool, 30, lambda: utcnow() + timedelta(days=31)).run_once()
    assert await deliveries(api, site, token, hook["id"]) == []


async def test_a_queued_delivery_wakes_the_sender_instead_of_waiting_for_its_poll(
        api, site, pool, receiver, woken_sender):
    token = await sites.create_token(pool, site, "admin", "ada")
    hook = await register(api, site, token, receiver.url(), events=["comment.created"])
    receiver.secrets = [hook["secret"]]
    comment = await post_comment(api, site)
    async with asyncio.timeout(10):  # the sender's poll would come after an hour
        [delivered] = await receiver.wait_until_received(1)
    assert delivered["event"] == "comment.created"
    assert delivered["json"]["data"]["comment"]["id"] == comment["id"]

    later = await post_comment(api, site, text="A second comment, once the sender is idle again.")
    async with asyncio.timeout(10):
        _, second = await receiver.wait_until_received(2)
    assert second["json"]["data"]["comment"]["id"] == later["id"]


async def test_a_retry_is_sent_when_its_backoff_ends_without_waiting_for_the_poll(
        api, site, pool, receiver, woken_sender):
    token = await sites.create_token(pool, site, "admin", "ada")
    hook = await register(api, site, token, receiver.url(), events=["comment.created"])
    receiver.secrets = [hook["secret"]]
    receiver.script = [503]
    await post_comment(api, site)
    async with asyncio.timeout(10):  # no NOTIFY for a retry: the sender waits for its due time
        failed, retried = await receiver.wait_until_received(2)
    assert failed["delivery"] == retried["delivery"]


async def test_a_failing_endpoint_gets_retries_with_the_same_delivery_id_until_it_answers(
        api, site, pool, receiver, sender):
    token = await sites.create_token(pool, site, "admin", "ada")
    hook = await register(api, site, token, receiver.url(), events=["comment.created"])
    receiver.secrets = [hook["secret"]]
    receiver.script = [500, 503]
    await post_comment(api, site)

    assert await sender.run_once() == 1
    assert await sender.run_once() == 0  # the retry waits for its backoff
    [failing] = await deliveries(api, site, token, hook["id"])
    assert (failing["status"], failing["response_status"], failing["attempts"]) == ("failing", 500, 1)
    await make_due(pool, site)
    await sender.run_once()
    await make_due(pool, site)
    await sender.run_once()

    assert len(receiver.received) == 3
    scraped = sender.metrics.render().decode()
    assert 'moderation_webhook_attempts_total{outcome="failing",status="5xx"} 2.0' in scraped
    assert 'moderation_webhook_attempts_total{outcome="delivered",status="2xx"} 1.0' in scraped
    assert len({r["delivery"] for r in receiver.received}) == 1
    assert len({r["json"]["id"] for r in receiver.received}) == 1
    [delivered] = await deliveries(api, site, token, hook["id"])
    assert (delivered["status"], delivered["attempts"], delivered["response_status"]) == (
        "delivered", 3, 200)
    listed = await (await api.get(f"/v1/sites/{site}/webhooks", headers=bearer(token))).json()
    assert listed["items"][0]["failures_in_row"] == 0


async def test_a_delivery_is_dead_after_its_tries(api, site, pool, receiver, sender):
    token = await sites.create_token(pool, site, "admin", "ada")
    hook = await register(api, site, token, receiver.url(), events=["comment.created"])
    receiver.secrets = [hook["secret"]]
    receiver.script = [500] * 10
    await post_comment(api, site)
    for _ in range(5):
        await sender.run_once()
        await make_due(pool, site)
    assert len(receiver.received) == 3  # webhook_max_attempts
    [dead] = await deliveries(api, site, token, hook["id"])
    assert (dead["status"], dead["attempts"], dead["error"]) == ("dead", 3, "HTTP 500")
    assert await pool.fetchval("SELECT status FROM jobs WHERE site_id = $1 AND kind = 'webhook'",
                               site) == "dead"


async def test_an_endpoint_failing_in_a_row_is_paused_and_an_admin_resumes_it(
        api, site, pool, receiver, sender):
    token = await sites.create_token(pool, site, "admin", "ada")
    hook = await register(api, site, token, receiver.url(), events=["comment.created"])
    receiver.secrets = [hook["secret"]]
    receiver.script = [500] * 4  # webhook_pause_after
    for n in range(4):
        await post_comment(api, site, text=f"Comment number {n} on the article.")
    await sender.run_once()
    listed = await (await api.get(f"/v1/sites/{site}/webhooks", headers=bearer(token))).json()
    assert listed["items"][0]["paused"] is True

    # Paused: retries and new events wait for the admin, nothing is sent.
    await post_comment(api, site, text="Written while the endpoint is paused.")
    await make_due(pool, site)
    await sender.run_once()
    assert len(receiver.received) == 4
    assert {d["status"] for d in await deliveries(api, site, token, hook["id"])} == {"paused"}

    resumed = await api.post(f"/v1/sites/{site}/webhooks/{hook['id']}/resume", headers=bearer(token))
    assert resumed.status == 200
    body = await resumed.json()
    assert (body["paused"], body["queued"], body["failures_in_row"]) == (False, 5, 0)
    await sender.run_once()
    assert len(receiver.received) == 9
    assert {d["status"] for d in await deliveries(api, site, token, hook["id"])} == {"delivered"}


async def test_during_a_rotation_both_secrets_sign(api, site, pool, receiver, sender):
    token = await sites.create_token(pool, site, "admin", "ada")
    hook = await register(api, site, token, receiver.url(), events=["comment.created"])
    rotated = await api.post(f"/v1/sites/{site}/webhooks/{hook['id']}/secret", headers=bearer(token))
    assert rotated.status == 200
    new = await rotated.json()
    assert new["secret"] != hook["secret"] and new["previous_secret_until"] is not None

    for secrets in ([hook["secret"]], [new["secret"]]):  # a receiver with either one accepts
        receiver.secrets = secrets
        await post_comment(api, site)
        await sender.run_once()
    assert len(receiver.received) == 2
    assert receiver.received[0]["signature"].count("v1=") == 2

    receiver.secrets = ["whsec_not-the-secret"]  # a wrong secret is not accepted
    await post_comment(api, site)
    await sender.run_once()
    assert len(receiver.received) == 2
    assert (await deliveries(api, site, token, hook["id"]))[0]["response_status"] == 401


async def test_redirects_are_not_followed_and_slow_endpoints_time_out(
        api, site, pool, receiver, sender):
    token = await sites.create_token(pool, site, "admin", "ada")
    moved = await register(api, site, token, receiver.url("/moved"), events=["comment.created"])
    await post_comment(api, site)
    await sender.run_once()
    [redirected] = await deliveries(api, site, token, moved["id"])
    assert (redirected["status"], redirected["response_status"]) == ("failing", 302)
    assert receiver.redirect_target_hits == 0
    await api.delete(f"/v1/sites/{site}/webhooks/{moved['id']}", headers=bearer(token))

    slow = await register(api, site, token, receiver.url(), events=["comment.created"])
    receiver.secrets = [slow["secret"]]
    receiver.delay_s = 1.5  # over the sender's webhook_timeout_s
    await post_comment(api, site)
    await sender.run_once()
    [timed_out] = await deliveries(api, site, token, slow["id"])
    assert timed_out["status"] == "failing" and timed_out["error"].startswith("timeout")


async def test_private_addresses_and_plain_http_are_refused(api, make_client, site, pool):
    token = await sites.create_token(pool, site, "admin", "ada")
    url = f"/v1/sites/{site}/webhooks"
    refused = ["http://hooks.example.com/in", "https://10.1.2.3/in", "https://[::1]/in",
               "https://169.254.169.254/latest", "https://127.0.0.1/in", "ftp://example.com/",
               # IPv6 forms that carry a private IPv4 address: NAT64, 6to4, IPv4-compatible
               "https://[64:ff9b::a9fe:a9fe]/latest", "https://[2002:7f00:1::1]/in",
               "https://[::127.0.0.1]/in"]
    strict = await make_client(workers=0)  # no WEBHOOK_ALLOWED_HOSTS
    for target in refused:
        response = await strict.post(url, headers=bearer(token),
                                     json={"url": target, "events": ["comment.created"]})
        assert response.status == 422, target
        assert (await response.json())["error"]["code"] == "url_refused"
    assert await pool.fetchval("SELECT count(*) FROM webhooks WHERE site_id = $1", site) == 0

    # A name that resolves to loopback is refused when the delivery connects.
    hook = await register(strict, site, token, "https://localhost:9/in", events=["comment.created"])
    await post_comment(api, site)
    config = make_config(webhook_timeout_s=1)
    async with sender_session(config) as session:
        await Sender(pool, session, config).run_once()
    [attempt] = await deliveries(api, site, token, hook["id"])
    assert attempt["status"] == "failing" and "not a public address" in attempt["error"]
    await pool.execute("DELETE FROM webhooks WHERE site_id = $1", site)


async def test_bad_input_and_other_sites(api, new_site, pool, receiver):
    site, other = await new_site(), await new_site()
    token = await sites.create_token(pool, site, "admin", "ada")
    moderator = await sites.create_token(pool, site, "moderator", "mo")
    url = f"/v1/sites/{site}/webhooks"
    for body in ({"url": receiver.url(), "events": ["comment.eaten"]},
                 {"url": receiver.url(), "events": []}, {"events": ["comment.created"]}):
        response = await api.post(url, headers=bearer(token), json=body)
        assert response.status == 422, body
    assert (await api.post(url, headers=bearer(moderator), json={
        "url": receiver.url(), "events": ["comment.created"]})).status == 403
    hook = await register(api, site, token, receiver.url())

    other_token = await sites.create_token(pool, other, "admin", "ada")
    theirs = bearer(other_token)
    base = f"/v1/sites/{site}/webhooks"
    for method, path in [("GET", base), ("POST", base), ("DELETE", f"{base}/{hook['id']}"),
                         ("GET", f"{base}/{hook['id']}/deliveries"),
                         ("POST", f"{base}/{hook['id']}/resume"),
                         ("POST", f"{base}/{hook['id']}/secret")]:
        response = await api.request(method, path, headers=theirs,
                                     json={"url": receiver.url(), "events": ["comment.created"]})
        assert response.status == 404, (method, path)
    # Their own site does not have this endpoint either.
    assert (await api.get(f"/v1/sites/{other}/webhooks/{hook['id']}/deliveries",
                          headers=theirs)).status == 404
    assert (await api.delete(f"{base}/{hook['id']}", headers=bearer(token))).status == 204
    assert (await api.delete(f"{base}/{hook['id']}", headers=bearer(token))).status == 404


async def test_moderators_reports_and_ratings_raise_their_events(api, site, pool, receiver, sender):
    token = await sites.create_token(pool, site, "admin", "ada")
    hook = await register(api, site, token, receiver.url(), events=[
        "comment.held", "comment.rejected", "comment.reported", "rating.approved"])
    receiver.secrets = [hook["secret"]]
    await pool.execute("UPDATE sites SET settings = jsonb_set(settings, '{report_threshold}', '1')"
                       " WHERE site_id = $1", site)
    reported = await post_comment(api, site, text="A comment readers will report.")
    rejected = await post_comment(api, site, text="A comment a moderator will reject.")
    rating = await api.post(f"/v1/sites/{site}/authors/killian-jones/ratings", json={"score": 4})
    assert rating.status == 202
    await drain(pool)
    report = await api.post(f"/v1/sites/{site}/comments/{reported['id']}/reports",
                            json={"reason": "abuse"})
    assert report.status == 202
    decision = await decide(api, site, rejected["id"], "reject", token, reason="off topic")
    assert decision.status == 200
    while await sender.run_once():
        pass
    events = {r["event"]: r["json"]["data"] for r in receiver.received}
    assert set(events) == {"rating.approved", "comment.reported", "comment.held",
                           "comment.rejected"}
    assert events["rating.approved"]["rating"]["author"] == "killian-jones"
    assert events["rating.approved"]["rating"]["score"] == 4
    assert events["comment.reported"]["report"] == {"reason": "abuse"}
    assert events["comment.held"]["comment"]["id"] == reported["id"]
    assert events["comment.rejected"]["comment"]["id"] == rejected["id"]
    assert events["comment.rejected"]["from_status"] == "approved"
