import pytest

from moderation.judging.explain import explain
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


def test_links_are_spam_evidence_and_too_many_are_more():
    ctx = make_context("a.com b.com c.com")
    verdict = check(ctx, LinksParams())
    assert (verdict.action, verdict.category) == ("allow", "spam")
    assert verdict.points == LinksParams().link_points + LinksParams().many_links_points
    assert verdict.details["links"] == ["a.com", "b.com", "c.com"]
    # Highlighted where they stand when a moderator looks at the comment.
    [shown] = explain("a.com b.com c.com", [verdict])
    assert shown.details["spans"] == [[0, 5], [6, 11], [12, 17]]
    one_link = check(make_context("see https://www.example.com/x"), LinksParams())
    assert one_link.points == LinksParams().link_points  # one link alone is not spam
    # A link to a public institution or a large newsroom is a source: evidence against spam.
    reference = check(make_context("see https://www.destatis.de/x and bbc.co.uk/news"),
                      LinksParams())
    assert reference.points == LinksParams().reference_points < 0


def test_too_many_links_hold_when_the_site_asks():
    params = LinksParams(action="hold")
    assert check(make_context("a.com b.com c.com"), params).action == "hold"
    assert check(make_context("a.com b.com"), params).action == "allow"
    assert check(make_context("a.com b.com"), LinksParams(max_links=1, action="hold")).action == "hold"


def test_blocked_domain_and_parents_reject():
    params = LinksParams(blocked_domains=("https://www.Spam.biz/", "evil.com"))
    assert params.blocked_domains == ("spam.biz", "evil.com")
    verdict = check(make_context("see shop.spam.biz/x"), params)
    assert (verdict.action, verdict.details["blocked"]) == ("reject", ["spam.biz"])
    assert check(make_context("see notevil.com"), params).action == "allow"


def test_shorteners_are_strong_evidence():
    verdict = check(make_context("look https://bit.ly/3xyz"), LinksParams())
    assert verdict.details["shorteners"] == ["bit.ly"]
    assert verdict.points == LinksParams().link_points + LinksParams().shortener_points
    verdict = check(make_context("look https://bit.ly/3xyz"), LinksParams(action="hold"))
    assert verdict.action == "hold"
    params = LinksParams(hold_shorteners=False)
    assert check(make_context("shorturl.at/abc"), params).points == params.link_points


def test_own_domains_are_not_counted():
    params = LinksParams(allowed_domains=("ustv.com",))
    assert check(make_context("ustv.com/a ustv.com/b www.ustv.com/c"), params).action == "allow"


def test_plain_text_allows():
    assert check(make_context("No links here, e.g. none."), LinksParams()).action == "allow"


def test_spammy_top_level_domains_are_strong_evidence():
    spammy = LinksParams().link_points + LinksParams().tld_points
    verdict = check(make_context("Hot singles are waiting at meetlocal.dating"), LinksParams())
    assert (verdict.points, verdict.details["spam_tlds"]) == (spammy, ["meetlocal.dating"])
    assert check(make_context("see cryptowins.xyz/start"), LinksParams()).points == spammy
    # Ordinary domains are a link and no more, and a site can change or empty the list.
    ordinary = make_context("read it at example.de and example.co.uk")
    assert check(ordinary, LinksParams()).points == LinksParams().link_points
    assert check(make_context("meetlocal.dating"), LinksParams(hold_tlds=())).points < spammy
    params = LinksParams(hold_tlds=(".Shop", "*.store"), action="hold")
    assert params.hold_tlds == ("shop", "store")
    assert check(make_context("buy at deals.shop"), params).action == "hold"
    assert check(make_context("see cryptowins.xyz"), params).action == "allow"
    # A blocked domain still rejects.
    params = LinksParams(blocked_domains=("cryptowins.xyz",))
    assert check(make_context("see cryptowins.xyz"), params).action == "reject"
