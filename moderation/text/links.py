"""Links in a comment, found the way a reader sees them, and what kind of place they point to.

Links are read from the folded text (moderation.text.normalize.fold), so "раypal.com" written with
Cyrillic letters is paypal.com and "ｅｘａｍｐｌｅ。ｃｏｍ" is example.com. Bare domains count
("example.com/x", "www.foo.biz"), but only with a known top-level domain, and a two-letter one
that is also a word ("no.it", "so.am") only with a scheme, "www." or a path.
"""

from __future__ import annotations

import re

from moderation.text.memo import remember_last_text
from moderation.text.normalize import fold

SHORTENERS = frozenset((
    "bit.ly", "bitly.com", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "buff.ly",
    "cutt.ly", "rb.gy", "shorturl.at", "t.ly", "tiny.cc", "bit.do", "v.gd", "s.id", "rebrand.ly",
    "shorte.st", "adf.ly", "lnkd.in", "soo.gd", "qr.ae", "clck.ru", "u.to", "x.co", "bl.ink",
    "short.io", "tr.im", "cli.gs", "po.st", "mcaf.ee", "su.pr", "linktr.ee", "t.me", "wa.me",
))

_COUNTRY_TLDS = frozenset("""
ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs bt
bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg er
es et eu fi fj fk fm fo fr ga gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht
hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr
ls lt lu lv ly ma mc md me mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng
ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd
se sg sh si sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg th tj tk tl tm tn to tr tt tv tw
tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw
""".split())
# Country domains that are also English or German words: after a full stop with the space left
# out ("no.It was", "wie es.Da"), they are a typo unless a scheme, "www." or a path says link.
_WORD_TLDS = frozenset(
    "ad am as at be by do er es id im in is it la ma me my no pa so to us".split())
_GENERIC_TLDS = frozenset("""
com net org edu gov mil int info biz name pro mobi app dev xyz top club online site shop store
live click link win bid loan loans work tech space website fun icu vip life today news blog page
cloud digital email money cash casino bet poker porn sex xxx adult dating webcam finance credit
trade market ltd inc company agency media network best sale deals guru rocks lol party download
stream racing review faith science cricket men date gdn host press systems solutions services
cfd sbs cyou accountant cam buzz rest bar world
""".split())
# Top-level domains that comment spam favours far beyond their share of honest sites (the cheap
# new gTLDs that abuse reports such as Spamhaus' "most abused TLDs" list year after year, the
# former free Freenom ones, and the gambling, dating, loan and adult ones). One link to them is
# held for a moderator, never rejected: a site admin changes the list with `hold_tlds`.
SPAMMY_TLDS = tuple("""
xyz top click loan loans win bid icu cfd sbs cyou dating money cash casino bet poker porn sex xxx
adult webcam download stream racing review faith science cricket men date gdn party accountant
tk ml ga cf gq cam fun club vip buzz rest bar pw shop store online site website space live life
today world work biz
""".split())
_TLDS = _COUNTRY_TLDS | _GENERIC_TLDS

# A dot right before a letter: text without one holds no domain, and finding that out is cheap.
_DOT_LETTER = re.compile(r"\.[a-z]")
_LINK = re.compile(r"""
    (?<![\w@.\-/])                       # not the middle of a word, an e-mail address or a path
    (?P<scheme>https?://)?
    (?P<host>(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,24}|xn--[a-z0-9\-]{1,59}))
    (?![\w\-@])\.?
    (?::\d{1,5})?
    (?P<path>[/?\#][^\s<>"'`]*)?
""", re.VERBOSE)
# Obfuscated dots: "example[.]com", "example(.)com", "example [dot] com".
_HIDDEN_DOT = re.compile(r"\s?[\[(\{]\s*(?:\.|dot)\s*[\])\}]\s?")
_TRAILING = ".,;:!?)]}'\""


# Where readers' references point: public institutions, encyclopaedias, courts, statistics
# offices, parliaments and the large newsrooms. A link there is a source, not an advert: it counts
# against spam (`reference_points`). Sites add their own with `reference_domains`.
REFERENCE_DOMAINS = tuple("""
gov gov.uk gov.au gc.ca gouv.fr bund.de bundestag.de bundesregierung.de europa.eu un.org who.int
oecd.org imf.org worldbank.org nato.int admin.ch gv.at parliament.uk ons.gov.uk nhs.uk nih.gov
destatis.de statistik.at bfs.admin.ch eurostat.ec.europa.eu ec.europa.eu europarl.europa.eu
curia.europa.eu bverfg.de bundesgerichtshof.de gesetze-im-internet.de legislation.gov.uk
wikipedia.org wikimedia.org archive.org doi.org arxiv.org nature.com science.org thelancet.com
nejm.org bmj.com pubmed.ncbi.nlm.nih.gov ncbi.nlm.nih.gov scholar.google.com
bbc.co.uk bbc.com reuters.com apnews.com theguardian.com nytimes.com washingtonpost.com ft.com
economist.com bloomberg.com wsj.com npr.org cnn.com spiegel.de zeit.de faz.net sueddeutsche.de
tagesschau.de zdf.de ard.de dw.com welt.de handelsblatt.com orf.at derstandard.at nzz.ch srf.ch
lemonde.fr elpais.com abgeordnetenwatch.de bankofengland.co.uk ecb.europa.eu bundesbank.de
historicengland.org.uk nationalarchives.gov.uk
""".split())


def plain_domain(value: str) -> str:
    """A domain as a site admin may type it ("https://www.Example.com/x") → "example.com"."""
    host = fold(value.strip()).split("://")[-1].split("/")[0].split(":")[0].strip(".")
    return host.removeprefix("*.").removeprefix("www.")



def _find_links(text: str) -> list[tuple[str, str]]:
    """(link as written after folding, host) for every link in the text, in order."""
    folded = fold(text)
    if "[" in folded or "(" in folded or "{" in folded:
        folded = _HIDDEN_DOT.sub(".", folded)
    if "\n" in folded or "\t" in folded or "\r" in folded:
        folded = " ".join(folded.split())
    links: list[tuple[str, str]] = []
    searched_to = 0
    # Only the words around a dot followed by a letter are searched: scanning all of the text
    # with the full pattern costs ten times more.
    for dot in _DOT_LETTER.finditer(folded):
        if dot.start() < searched_to:
            continue
        start = folded.rfind(" ", 0, dot.start()) + 1
        end = folded.find(" ", dot.end())
        searched_to = len(folded) if end == -1 else end
        for match in _LINK.finditer(folded, start, searched_to):
            link = _link(match)
            if link is not None:
                links.append(link)
    return links


# The links rule and the model both ask for the same comment's links.
find_links = remember_last_text(_find_links)


def _link(match: re.Match[str]) -> tuple[str, str] | None:
    host = match["host"]
    tld = host.rsplit(".", 1)[1]
    if tld not in _TLDS and not tld.startswith("xn--"):
        return None
    path = (match["path"] or "").rstrip(_TRAILING)
    if (tld in _WORD_TLDS and not (match["scheme"] or host.startswith("www.") or len(path) > 1)
            and listed(host, SHORTENERS) is None):
        return None
    return (match["scheme"] or "") + host + path, host.removeprefix("www.")


def listed(host: str, domains: frozenset[str] | tuple[str, ...]) -> str | None:
    """The entry of `domains` that is the host or one of its parent domains."""
    labels = host.split(".")
    for start in range(len(labels) - 1):
        candidate = ".".join(labels[start:])
        if candidate in domains:
            return candidate
    return None


def is_reference(host: str, domains: tuple[str, ...] = REFERENCE_DOMAINS) -> bool:
    """A public institution's address, or one of `domains` (or under it)."""
    labels = host.split(".")
    public = labels[-1] in ("gov", "edu", "mil", "int") or (
        len(labels) >= 3 and labels[-2] in ("gov", "ac", "edu", "gv", "gouv"))
    return public or listed(host, domains) is not None


