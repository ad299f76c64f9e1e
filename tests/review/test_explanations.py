"""What a moderator reads beside a held comment: the signals that drove it, their matched spans
and the models' top words, built when the queue first lists the comment, then kept."""

from __future__ import annotations

import gzip
import json

import pytest

from moderation.classifiers import linear
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
