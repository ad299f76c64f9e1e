"""Reply notifications by email end to end, read from a real SMTP server: double opt-in, one email
per published reply with one-click unsubscribe, retries, email off, the moderators' digest."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from moderation.clock import utcnow
from moderation.queue.cleanup import Cleanup
from moderation.sites import store as sites
from moderation.sites.settings import Digest
from tests.conftest import wait_for
from tests.factories import site_settings

ADA = "ada@example.com"


async def setup(make_client, pool, site, inbox, origins=("https://news.example",), **config):
    await sites.save_settings(pool, site, site_settings(
        rules={"flood": {"enabled": False}, "duplicate": {"enabled": False}},
        allowed_origins=list(origins)))
    return await make_client(smtp_url=inbox.url, mail_from="comments@news.example", **config)


async def post(client, site, text: str, name: str, address: str, **extra) -> dict:
    response = await client.post(f"/v1/sites/{site}/threads/t/comments",
                                 json={"body": text, "commenter": {"name": name, **extra.pop("commenter", {})},
                                       "thread_url": "https://news.example/t", "thread_title": "The story",
                                       **extra},
                                 headers={"X-Forwarded-For": address})
    assert response.status == 202, await response.text()
    return await response.json()


async def approved(pool, site, comment: dict) -> bool:
    return await pool.fetchval("SELECT status = 'approved' FROM comments WHERE site_id = $1 "
                               "AND comment_id = $2", site, int(comment["id"]))


def link_in(message, action: str) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(rf"https?://\S+/email/{action}\?token=\S+", text)[0]


def local(url: str) -> str:
    """The link's path and query, to follow it on the test server."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def reply_emails(pool, site) -> int:
    return await pool.fetchval("SELECT count(*) FROM outbox WHERE site_id = $1 AND kind = 'reply'",
                               site)


async def test_confirmed_subscribers_get_one_email_per_reply_until_they_unsubscribe(
        make_client, pool, site, inbox):
    client = await setup(make_client, pool, site, inbox)
    page = await (await client.get(f"/v1/sites/{site}/threads/t/comments")).json()
    assert page["email_replies"] is True
    ada = await post(client, site, "Dialogue is the right call.", "Ada", "192.0.2.1",
                     commenter={"email": "Ada@Example.com"}, notify="replies")
    [confirmation] = await wait_for(lambda: _messages(inbox, ADA))
    assert confirmation["Subject"].startswith("Confirm reply emails from")
    assert confirmation["From"].endswith("<comments@news.example>")
    confirm_url = link_in(confirmation, "confirm")

    # Before the address is confirmed a reply sends nothing.
    early = await post(client, site, "Early reply, before confirming.", "Bob", "198.51.100.2",
                       parent_id=ada["id"])
    await wait_for(lambda: approved(pool, site, early))
    assert await reply_emails(pool, site) == 0

    shown = await client.get(local(confirm_url))
    assert shown.status == 200 and "<button" in await shown.text()
    assert await reply_emails(pool, site) == 0  # opening the link confirms nothing by itself
    confirmed = await client.post(local(confirm_url))
    assert confirmed.status == 200 and "Confirmed" in await confirmed.text()

    reply = await post(client, site, "Talks need partners who show up.", "Bob", "198.51.100.2",
                       parent_id=ada["id"])
    [notice] = await wait_for(lambda: _messages(inbox, ADA, subject="replied"))
    assert notice["Subject"] == "Bob replied to your comment on “The story”"
    body = notice.get_body(("plain",)).get_content()
    assert "Talks need partners who show up." in body and "Dialogue is the right call." in body
    assert f"https://news.example/t#comment-{reply['id']}" in body
    unsubscribe_url = link_in(notice, "unsubscribe")
    assert notice["List-Unsubscribe"] == f"<{unsubscribe_url}>"
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Answering yourself sends nothing; a reply approved again after an edit is not sent again.
    own = await post(client, site, "Replying to myself here.", "Ada", "192.0.2.1",
                     parent_id=ada["id"])
    await wait_for(lambda: approved(pool, site, own))
    await client.patch(f"/v1/sites/{site}/comments/{reply['id']}", json={"body": "Talks need partners."},
                       headers={"X-Edit-Token": reply["edit_token"]})
    await wait_for(lambda: approved(pool, site, reply))
    assert await reply_emails(pool, site) == 1

    # One click (RFC 8058): the mail client POSTs without any page.
    one_click = await client.post(local(unsubscribe_url), data="List-Unsubscribe=One-Click",
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert one_click.status == 200
    late = await post(client, site, "I see it differently, to be honest.", "Cy", "198.51.100.3",
                      parent_id=ada["id"])
    await wait_for(lambda: approved(pool, site, late))
    assert await reply_emails(pool, site) == 1
    assert len(inbox.to(ADA)) == 2
    # The old confirmation link does not bring the address back.
    again = await client.post(local(confirm_url))
    assert "Not confirmed" in await again.text()


async def _messages(inbox, address: str, subject: str = ""):
    return [m for m in inbox.to(address) if subject in m["Subject"]]


async def test_links_are_bound_to_their_purpose_and_site(make_client, pool, site, new_site, inbox):
    client = await setup(make_client, pool, site, inbox)
    other = await new_site()
    await post(client, site, "Please email me.", "Ada", "192.0.2.1",
               commenter={"email": ADA}, notify="replies")
    [confirmation] = await wait_for(lambda: _messages(inbox, ADA))
    url = local(link_in(confirmation, "confirm"))
    assert (await client.post(url.replace(f"/sites/{site}/", f"/sites/{other}/"))).status == 404
    assert (await client.post(url.replace("/confirm?", "/unsubscribe?"))).status == 404
    assert (await client.post(url[:-3])).status == 404
    assert (await client.post(f"/v1/sites/{site}/email/confirm")).status == 422
    assert await pool.fetchval("SELECT status FROM email_addresses WHERE site_id = $1", site) == "unconfirmed"


async def test_a_busy_mail_server_is_retried_and_a_dead_one_leaves_a_dead_job(
        make_client, pool, site, inbox):
    client = await setup(make_client, pool, site, inbox, max_attempts=3)
    inbox.refuse = 2
    await post(client, site, "Please email me.", "Ada", "192.0.2.1",
               commenter={"email": ADA}, notify="replies")
    await wait_for(lambda: _messages(inbox, ADA))
    assert len(inbox.to(ADA)) == 1
    inbox.refuse = 10
    await post(client, site, "Email me too, please.", "Eve", "192.0.2.9",
               commenter={"email": "eve@example.com"}, notify="replies")
    dead = await wait_for(lambda: pool.fetchrow(
        "SELECT attempts, last_error FROM jobs WHERE site_id = $1 AND kind = 'email' "
        "AND status = 'dead'", site))
    assert dead["attempts"] == 3 and "451" in dead["last_error"]
    assert inbox.to("eve@example.com") == []


async def test_without_smtp_url_email_is_off(make_client, pool, site):
    client = await make_client(workers=0)
    page = await (await client.get(f"/v1/sites/{site}/threads/t/comments")).json()
    assert page["email_replies"] is False
    response = await client.post(f"/v1/sites/{site}/threads/t/comments", json={
        "body": "Email me replies.", "commenter": {"name": "Ada", "email": ADA}, "notify": "replies"})
    assert response.status == 422 and (await response.json())["error"]["code"] == "email_off"
    assert await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1", site) == 0


async def test_notify_needs_an_address(make_client, pool, site, inbox):
    client = await setup(make_client, pool, site, inbox, workers=0)
    response = await client.post(f"/v1/sites/{site}/threads/t/comments", json={
        "body": "Email me replies.", "commenter": {"name": "Ada"}, "notify": "replies"})
    assert response.status == 422
    assert (await response.json())["error"]["details"][0]["field"] == "commenter.email"
    wrong = await client.post(f"/v1/sites/{site}/threads/t/comments", json={
        "body": "Email me replies.", "commenter": {"name": "Ada", "email": ADA}, "notify": "all"})
    assert wrong.status == 422
    assert await pool.fetchval("SELECT count(*) FROM comments WHERE site_id = $1", site) == 0


async def test_moderators_get_a_digest_of_held_and_reported_items(make_client, pool, site, inbox):
    client = await setup(make_client, pool, site, inbox)
    await sites.save_settings(pool, site, site_settings(
        rules={"flood": {"enabled": False}, "duplicate": {"enabled": False}}, report_threshold=1,
        digest=Digest(emails=["desk@news.example"], every_hours=24)))
    held = await post(client, site, "You are an idiot and this article is garbage", "Troll",
                      "192.0.2.66")
    fine = await post(client, site, "A calm and considered remark.", "Ada", "192.0.2.1")
    await wait_for(lambda: approved(pool, site, fine))
    await wait_for(lambda: pool.fetchval("SELECT status = 'held' FROM comments WHERE site_id = $1 "
                                         "AND comment_id = $2", site, int(held["id"])))
    await client.post(f"/v1/sites/{site}/comments/{fine['id']}/reports", json={"reason": "spam"})
    cleanup = Cleanup(pool, 30, utcnow)
    await cleanup.run_once()
    [digest] = await wait_for(lambda: _messages(inbox, "desk@news.example"))
    assert digest["Subject"].startswith("2 items wait for moderation")
    body = digest.get_body(("plain",)).get_content()
    assert "held comments:      2" in body and "reported comments:  1" in body
    assert "/moderate" in body
    await cleanup.run_once()  # within every_hours: no second digest
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE site_id = $1 AND kind = 'digest'",
                               site) == 1


async def test_a_thread_url_off_the_sites_origins_is_not_linked(make_client, pool, site, inbox):
    """The first commenter names the thread's URL: the site's e-mails never link elsewhere."""
    client = await setup(make_client, pool, site, inbox, origins=("https://paper.example",))
    ada = await post(client, site, "Dialogue is the right call.", "Ada", "192.0.2.1",
                     commenter={"email": "Ada@Example.com"}, notify="replies")
    [confirmation] = await wait_for(lambda: _messages(inbox, ADA))
    assert (await client.post(local(link_in(confirmation, "confirm")))).status == 200
    await post(client, site, "Talks need partners who show up.", "Bob", "198.51.100.2",
               parent_id=ada["id"])
    [notice] = await wait_for(lambda: _messages(inbox, ADA, subject="replied"))
    body = notice.get_body(("plain",)).get_content()
    assert "Talks need partners who show up." in body and "news.example/t" not in body
