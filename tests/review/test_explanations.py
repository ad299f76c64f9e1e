"""What a moderator reads beside a held comment: the signals that drove it, their matched spans
and the models' top words, built when the queue first lists the comment, then kept."""

from __future__ import annotations

import gzip
import json
import logging

import pytest

from moderation.classifiers import linear
from moderation.review.explanations import explained
from moderation.review.store import VERDICTS_OF
from moderation.text.normalize import normalize
from tests.review.test_review import decide_all, post, queue, setup_site

ABUSE = "you are a fucking idiot"  # held: the abuse model and two entries of the suspect list
SPAM = "Earn $500 a day from home, WhatsApp me on +1 555 0142 for details"


def shown(item: dict, rule: str) -> dict:
    return next(v["details"] for v in item["verdicts"] if v["rule"] == rule)


def highlighted(item: dict, details: dict) -> set[str]:
    return {normalize(item["body"][start:end]) for start, end in details.get("spans", [])}


@pytest.fixture
def retrained(monkeypatch, tmp_path):
    """Replaces the shipped text model, as a new release would, by one that weighs no word."""
    def replace() -> None:
        with gzip.open(linear.MODEL_FILE, "rt", encoding="utf-8") as file:
            saved = json.load(file)
        path = tmp_path / "text_model.json.gz"
        with gzip.open(path, "wt", encoding="utf-8") as file:
            json.dump({**saved, "weights": {}}, file)
        monkeypatch.setattr(linear, "MODEL_FILE", path)
        linear.load_model.cache_clear()

    yield replace
    linear.load_model.cache_clear()  # the next test reads the shipped model again


async def test_the_queue_shows_each_models_top_words_highlighted(make_client, pool, site):
    client = await make_client(workers=0)
    mod, _ = await setup_site(pool, site)
    abuse = await post(client, site, ABUSE, name="Troll")
    spam = await post(client, site, SPAM, name="Seller")
    await decide_all(pool)
    items = {item["id"]: item for item in await queue(client, site, mod)}
    assert set(items) == {abuse["id"], spam["id"]}
    for item, rule in ((items[abuse["id"]], "toxicity"), (items[spam["id"]], "learned_spam")):
        details = shown(item, rule)
        assert details["points"] > 0 and details["words"], details
        # The words are highlighted where they stand in the text as written.
        assert highlighted(item, details) & set(details["words"]), details
        assert "phrases" not in details
    suspect = shown(items[abuse["id"]], "suspect_words")
    assert highlighted(items[abuse["id"]], suspect) == {"fucking", "idiot"}
    combined = shown(items[abuse["id"]], "combined")
    assert combined["category"] == "abuse"
    assert {s["rule"] for s in combined["signals"]} >= {"toxicity", "suspect_words"}


async def test_what_the_first_look_showed_stays_when_the_model_changes(make_client, pool, site,
                                                                       retrained):
    client = await make_client(workers=0)
    mod, _ = await setup_site(pool, site)
    seen = await post(client, site, ABUSE, name="Troll")
    unseen = await post(client, site, ABUSE + ", honestly", name="Other")
    await decide_all(pool)
    [first] = await queue(client, site, mod, "limit=1")  # only the oldest is looked at
    assert first["id"] == seen["id"] and shown(first, "toxicity")["words"]

    retrained()
    again = await queue(client, site, mod)
    assert [item["id"] for item in again] == [seen["id"], unseen["id"]]
    assert again[0]["verdicts"] == first["verdicts"]
    # Looked at first after the change: the new model's words (none), the word list's span.
    assert shown(again[1], "toxicity")["words"] == []
    assert highlighted(again[1], shown(again[1], "suspect_words")) == {"fucking", "idiot"}
    assert (await queue(client, site, mod))[1]["verdicts"] == again[1]["verdicts"]


async def stored(pool, site: str, item_id: str) -> dict[str, dict]:
    """The details of an item's verdict rows as PostgreSQL holds them, by rule."""
    rows = await pool.fetch("SELECT rule, details FROM verdicts WHERE site_id = $1"
                            " AND kind = 'comment' AND item_id = $2", site, int(item_id))
    return {r["rule"]: r["details"] for r in rows}


async def test_an_item_that_cannot_be_explained_is_listed_without_it(make_client, pool, site,
                                                                      caplog):
    client = await make_client(workers=0)
    mod, _ = await setup_site(pool, site)
    abuse = await post(client, site, ABUSE, name="Troll")
    spam = await post(client, site, SPAM, name="Seller")
    await decide_all(pool)
    # An old row of a surprising shape: learned_spam's explain reads its parts as a mapping.
    await pool.execute("""
        UPDATE verdicts SET details = jsonb_set(details, '{parts}', '[0.5, 2]')
         WHERE site_id = $1 AND kind = 'comment' AND item_id = $2 AND rule = 'learned_spam'""",
                       site, int(spam["id"]))
    before = await stored(pool, site, spam["id"])
    assert before["learned_spam"]["parts"] == [0.5, 2]

    with caplog.at_level(logging.ERROR, logger="moderation.review.explanations"):
        items = {item["id"]: item for item in await queue(client, site, mod)}
    assert set(items) == {abuse["id"], spam["id"]}
    # Its verdicts are listed as stored, unexplained; nothing of it is written.
    unexplained = items[spam["id"]]
    assert {v["rule"] for v in unexplained["verdicts"]} == set(before)
    assert shown(unexplained, "learned_spam") == before["learned_spam"]
    assert all("words" not in v["details"] and "spans" not in v["details"]
               for v in unexplained["verdicts"])
    assert await stored(pool, site, spam["id"]) == before
    # The other item of the page is explained as usual.
    assert shown(items[abuse["id"]], "toxicity")["words"]
    assert "spans" in (await stored(pool, site, abuse["id"]))["suspect_words"]
    # Logged with the item's id, not its text.
    [record] = [r for r in caplog.records if r.name == "moderation.review.explanations"]
    assert spam["id"] in record.getMessage() and record.exc_info is not None
    assert "WhatsApp" not in caplog.text

    again = await queue(client, site, mod)  # and again: still listed, still not stored
    assert {item["id"] for item in again} == {abuse["id"], spam["id"]}
    assert await stored(pool, site, spam["id"]) == before


async def test_a_listing_that_explains_second_shows_what_the_first_stored(make_client, pool,
                                                                         site):
    client = await make_client(workers=0)
    mod, _ = await setup_site(pool, site)
    comment = await post(client, site, ABUSE, name="Troll")
    await decide_all(pool)
    item_id = int(comment["id"])
    version = await pool.fetchval(
        "SELECT item_version FROM verdicts WHERE site_id = $1 AND item_id = $2 LIMIT 1",
        site, item_id)
    # This listing reads the rows unexplained...
    rows = await pool.fetch(VERDICTS_OF, site, "comment", [item_id], [version])
    assert "words" not in next(r["details"] for r in rows if r["rule"] == "toxicity")
    # ...then another one (another process, another model) stores its toxicity explanation.
    first = {**next(r["details"] for r in rows if r["rule"] == "toxicity"),
             "words": ["fucking"], "spans": [[10, 17]]}
    assert [w for w, _ in linear.load_model().top_words(ABUSE, "abuse")] != ["fucking"]
    await pool.execute("""
        UPDATE verdicts SET details = $3 WHERE site_id = $1 AND kind = 'comment'
           AND item_id = $2 AND rule = 'toxicity'""", site, item_id, first)

    async with pool.acquire() as conn:
        verdicts = await explained(conn, site, "comment", rows, {item_id: ABUSE})
    by_rule = {v["rule"]: v["details"] for v in verdicts}
    assert by_rule["toxicity"] == first  # not the words this listing's model found
    assert (await stored(pool, site, comment["id"]))["toxicity"] == first
    # The rows it explained first are its own, written.
    assert by_rule["suspect_words"]["spans"]
    assert (await stored(pool, site, comment["id"]))["suspect_words"] == by_rule["suspect_words"]
    [listed] = await queue(client, site, mod)
    assert shown(listed, "toxicity") == first
    assert listed["verdicts"] == [{**v, "details": by_rule[v["rule"]]} for v in listed["verdicts"]]
