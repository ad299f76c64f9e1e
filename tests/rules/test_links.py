import pytest

from moderation.rules.links import LinksParams, check, find_links
from tests.rules.factories import make_context


@pytest.mark.parametrize(("text", "hosts"), [
    ("see раypal.com now", ["paypal.com"]),  # Cyrillic р and а
    ("go to https://www.Example.com/path?x=1.", ["example.com"]),
    ("example.com/x and www.foo.biz", ["example.com", "foo.biz"]),
    ("see example[.]com", ["example.com"]),
    ("ｅｘａｍｐｌｅ。ｃｏｍ", ["example.com"]),
    ("bit.ly/abc", ["bit.ly"]),
    ("visit t.co", ["t.co"]),
    ("foo.com,bar.net; baz.org!", ["foo.com", "bar.net", "baz.org"]),
    ("read it at spiegel.de", ["spiegel.de"]),
    ("http://it.is/x", ["it.is"]),
])
def test_finds_links(text, hosts):
    assert [host for _, host in find_links(text)] == hosts


@pytest.mark.parametrize("text", [
    "e.g. this, i.e. that", "the U.S. and the U.K.", "version 3.5 or 10.2.1", "Mr.Smith said",
    "no.It was not", "mail me at john@example.com", "file.txt", "the end.So what", "",
])
def test_not_links(text):
    assert find_links(text) == []


def test_too_many_links_hold():
    ctx = make_context("a.com b.com c.com")
    verdict = check(ctx, LinksParams())
    assert verdict.action == "hold"
    assert verdict.details["links"] == ["a.com", "b.com", "c.com"]
    assert check(make_context("a.com b.com"), LinksParams()).action == "allow"
    assert check(make_context("a.com b.com"), LinksParams(max_links=1)).action == "hold"


def test_blocked_domain_and_parents_reject():
    params = LinksParams(blocked_domains=("https://www.Spam.biz/", "evil.com"))
    assert params.blocked_domains == ("spam.biz", "evil.com")
    verdict = check(make_context("see shop.spam.biz/x"), params)
    assert (verdict.action, verdict.details["blocked"]) == ("reject", ["spam.biz"])
    assert check(make_context("see notevil.com"), params).action == "allow"


def test_shorteners_hold():
    verdict = check(make_context("look https://bit.ly/3xyz"), LinksParams())
    assert (verdict.action, verdict.details["shorteners"]) == ("hold", ["bit.ly"])
    params = LinksParams(hold_shorteners=False)
    assert check(make_context("shorturl.at/abc"), params).action == "allow"


def test_own_domains_are_not_counted():
    params = LinksParams(allowed_domains=("ustv.com",))
    assert check(make_context("ustv.com/a ustv.com/b www.ustv.com/c"), params).action == "allow"


def test_plain_text_allows():
    assert check(make_context("No links here, e.g. none."), LinksParams()).action == "allow"


def test_spammy_top_level_domains_hold():
    verdict = check(make_context("Hot singles are waiting at meetlocal.dating"), LinksParams())
    assert (verdict.action, verdict.details["spam_tlds"]) == ("hold", ["meetlocal.dating"])
    assert check(make_context("see cryptowins.xyz/start"), LinksParams()).action == "hold"
    # Ordinary domains are not held, and a site can change or empty the list.
    ordinary = make_context("read it at spiegel.de and bbc.co.uk")
    assert check(ordinary, LinksParams()).action == "allow"
    assert check(make_context("meetlocal.dating"), LinksParams(hold_tlds=())).action == "allow"
    params = LinksParams(hold_tlds=(".Shop", "*.store"))
    assert params.hold_tlds == ("shop", "store")
    assert check(make_context("buy at deals.shop"), params).action == "hold"
    assert check(make_context("see cryptowins.xyz"), params).action == "allow"
    # A blocked domain still rejects.
    params = LinksParams(blocked_domains=("cryptowins.xyz",))
    assert check(make_context("see cryptowins.xyz"), params).action == "reject"
