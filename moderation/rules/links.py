"""links: too many links, links through URL shorteners or to spam-favoured top-level domains
(hold), or to a blocked domain (reject).

Links are read from the folded text (moderation.text.normalize.fold), so "раypal.com" written with
Cyrillic letters is paypal.com and "ｅｘａｍｐｌｅ。ｃｏｍ" is example.com. Bare domains count
("example.com/x", "www.foo.biz"), but only with a known top-level domain, and a two-letter one
that is also a word ("no.it", "so.am") only with a scheme, "www." or a path: a missing space
after a full stop is not a link. "e.g.", "U.S.", "3.5" and "Mr.Smith" are not links.
"""

from typing import Literal

from pydantic import Field, field_validator

from moderation.rules.base import Rule, RuleContext, RuleParams, Verdict, evidence
from moderation.text.links import (
    REFERENCE_DOMAINS,
    SHORTENERS,
    SPAMMY_TLDS,
    find_links,
    is_reference,
    listed,
    plain_domain,
)
from moderation.text.normalize import fold
from moderation.text.spans import text_spans

NAME = "links"

class LinksParams(RuleParams):
    # `score`: shorteners, spam-favoured top-level domains and too many links are evidence of
    # spam (the points below); `hold` or `reject` decide alone.
    action: Literal["score", "hold", "reject"] = "score"
    blocked_action: Literal["hold", "reject"] = "reject"
    max_links: int = Field(default=2, ge=0, le=100)
    shortener_points: float = Field(default=1.5, ge=0.0, le=20.0)
    tld_points: float = Field(default=1.5, ge=0.0, le=20.0)
    many_links_points: float = Field(default=1.0, ge=0.0, le=20.0)
    # Any link at all: spam nearly always carries one, a reader's comment seldom does.
    link_points: float = Field(default=0.6, ge=0.0, le=20.0)
    # Every link a reference (REFERENCE_DOMAINS, a public `.gov`, `.edu` or `.ac.*` address, or
    # one of the site's own `reference_domains`, added to those): evidence against spam.
    reference_domains: tuple[str, ...] = Field(default=(), max_length=10_000)
    reference_points: float = Field(default=-1.5, ge=-20.0, le=0.0)
    hold_shorteners: bool = True
    blocked_domains: tuple[str, ...] = Field(default=(), max_length=10_000)
    # One link to a domain under one of these top-level domains → `action` (hold).
    hold_tlds: tuple[str, ...] = Field(default=SPAMMY_TLDS, max_length=1000)
    # The site's own domains: links to them are not counted.
    allowed_domains: tuple[str, ...] = Field(default=(), max_length=1000)

    @field_validator("blocked_domains", "allowed_domains", "reference_domains")
    @classmethod
    def plain_domains(cls, domains: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(d for d in map(plain_domain, domains) if d)

    @field_validator("hold_tlds")
    @classmethod
    def plain_tlds(cls, tlds: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for t in (fold(t.strip()).lstrip("*.") for t in tlds) if t))


def check(ctx: RuleContext, params: LinksParams) -> Verdict:
    body = ctx.item.body
    links = [(link, host) for link, host in find_links(body)
             if not (params.allowed_domains and listed(host, params.allowed_domains))]
    if not links:
        return Verdict(NAME, "allow")
    found = [link for link, _ in links]
    if params.blocked_domains:
        blocked = sorted({d for _, host in links if (d := listed(host, params.blocked_domains))})
        if blocked:
            return Verdict(NAME, params.blocked_action, 1.0,
                           "blocked domain: " + ", ".join(blocked),
                           {"links": found, "blocked": blocked})
    reasons: list[tuple[str, float, dict]] = []
    if params.hold_shorteners:
        shortened = sorted({d for _, host in links if (d := listed(host, SHORTENERS))})
        if shortened:
            reasons.append(("link through a URL shortener: " + ", ".join(shortened),
                            params.shortener_points, {"shorteners": shortened}))
    if params.hold_tlds:
        spammy = sorted({host for _, host in links if host.rsplit(".", 1)[-1] in params.hold_tlds})
        if spammy:
            reasons.append(("link to a top-level domain favoured by spam: " + ", ".join(spammy),
                            params.tld_points, {"spam_tlds": spammy}))
    if len(links) > params.max_links:
        reasons.append((f"{len(links)} links, more than {params.max_links}",
                        params.many_links_points, {}))
    details: dict = {"links": found}
    for _, _, more in reasons:
        details.update(more)
    if params.action != "score":
        if not reasons:
            return Verdict(NAME, "allow", 0.0, "", {"links": found})
        return Verdict(NAME, params.action, min(1.0, 0.6 + 0.1 * len(reasons)),
                       "; ".join(r for r, _, _ in reasons), details)
    references = REFERENCE_DOMAINS + params.reference_domains
    if not reasons and all(is_reference(host, references) for _, host in links):
        return evidence(NAME, "spam", params.reference_points, "", {"links": found,
                                                                   "references": True})
    points = params.link_points + sum(p for _, p, _ in reasons)
    reason = "; ".join(r for r, _, _ in reasons) or f"{len(links)} link{'s' * (len(links) > 1)}"
    return evidence(NAME, "spam", points, reason, details)


def explain(body: str, verdict: Verdict) -> dict:
    """Where the links stand in the text as written, found when a moderator looks."""
    return {"spans": text_spans(body, verdict.details.get("links", ()))}


RULE = Rule(NAME, frozenset({"comment"}), LinksParams, check, explain=explain)
