"""Small factories for rule tests: an Item, a SiteView and a RuleContext with sensible defaults."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from moderation.rules.base import Item, RuleContext, SiteView
from moderation.text.wordlists import compile_wordlist

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


def make_item(body: str = "A perfectly ordinary comment.", **overrides: Any) -> Item:
    defaults: dict[str, Any] = dict(kind="comment", site_id="ustv", item_id=1, version=1,
                                    created_at=NOW, commenter="c1", thread="t1", body=body)
    return Item(**{**defaults, **overrides})


def make_site(banned: Sequence[str] | None = None, suspect: Sequence[str] | None = None,
              **overrides: Any) -> SiteView:
    wordlists = {}
    if banned is not None:
        wordlists["banned"] = compile_wordlist(banned, 1)
    if suspect is not None:
        wordlists["suspect"] = compile_wordlist(suspect, 1)
    defaults: dict[str, Any] = dict(site_id="ustv", settings=None, wordlists=wordlists)
    return SiteView(**{**defaults, **overrides})


def make_context(body: str = "A perfectly ordinary comment.", site: SiteView | None = None,
                 **item_overrides: Any) -> RuleContext:
    return RuleContext(item=make_item(body, **item_overrides), site=site or make_site(), now=NOW)
