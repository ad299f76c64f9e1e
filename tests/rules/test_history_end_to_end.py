"""duplicate and flood through the real API and a worker: comments posted over HTTP, then judged."""

from __future__ import annotations

from collections import defaultdict

from tests.factories import drain, post_comment

SPAM = "Earn 5000 dollars a week from home, message me for the details today"


async def post(client, site, thread, body, name, ip="192.0.2.1"):
    return (await post_comment(client, site, thread, text=body, name=name, ip=ip))["id"]


async def decide_all(pool) -> None:
    await drain(pool)


async def verdicts(pool, site, comment_id):
    """The comment's status and each rule's action; a rule without a stored verdict allowed it."""
    rows = await pool.fetch("SELECT rule, action FROM verdicts WHERE site_id = $1 AND item_id = $2",
                            site, int(comment_id))
    status = await pool.fetchval("SELECT status FROM comments WHERE site_id = $1 AND "
                                 "comment_id = $2", site, int(comment_id))
    return status, defaultdict(lambda: "allow", {r["rule"]: r["action"] for r in rows})


async def test_a_repeat_and_a_blast_are_rejected_and_a_burst_is_held(make_client, pool, site):
    client = await make_client(workers=0, trusted_proxies="127.0.0.1")
    first = await post(client, site, "a", SPAM, "Spammer")
    again = await post(client, site, "a", SPAM.replace("today", "now"), "Spammer")
    offer = "Cheap flights to anywhere in Europe, book with us before the prices go up"
    blast = [await post(client, site, f"b{n}", offer, f"Bot {n}", ip=f"198.51.100.{n}")
             for n in range(3)]  # three accounts, three IPs, three threads
    await decide_all(pool)
    assert (await verdicts(pool, site, first))[1]["duplicate"] == "allow"
    assert (await verdicts(pool, site, again))[1]["duplicate"] == "reject"
    assert [(await verdicts(pool, site, c))[1]["duplicate"] for c in blast] == [
        "allow", "allow", "reject"]

    burst = [await post(client, site, "c", f"Reply number {n} in a quick exchange", "Chatty")
             for n in range(9)]
    await decide_all(pool)
    actions = [(await verdicts(pool, site, c))[1]["flood"] for c in burst]
    assert actions == ["allow"] * 8 + ["hold"]  # 8 a minute per commenter by default
