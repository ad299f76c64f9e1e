"""The one interface every rule implements: a read-only context in, a verdict out.

Two kinds of verdict. A hard one (`hold` or `reject`) decides alone: a ban, the honeypot, a banned
word. Evidence is an `allow` that carries `points` for a category (`spam`, `abuse`, or `any` for
both): log-odds that the item belongs there. The `combined` rule, last in the list, adds up the
points of each category and holds the item when a sum reaches the site's threshold, so a shouted
"GREAT GOAL!!!" (a few points of evidence) is published while a spam model that is unsure and a
link through a shortener together are held.

A rule never writes to the database. When it needs history (how many comments this commenter
sent in the last minute), it names an async `load_facts` that reads what the whole claimed batch
needs in one query; the pipeline runs it before the checks and hands each item its facts. Rules
that read the same tables share one loader (rules/comment_facts.py, rules/rating_facts.py), which
answers for all of them at once: one statement per batch instead of one per rule.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from moderation.text.wordlists import WordList

if TYPE_CHECKING:  # the settings validate rule parameters, so they import the rules
    from moderation.sites.settings import SiteSettings

Action = Literal["allow", "hold", "reject"]
Category = Literal["spam", "abuse", "any", ""]
ItemKind = Literal["comment", "rating"]


class RuleParams(BaseModel):
    """Per-site parameters of one rule; every rule extends this with its own fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    # `score` (rules that give evidence) adds points for the combined rule instead of deciding.
    action: Literal["score", "hold", "reject"] = "hold"


# Values, never changed after they are made, but not frozen=True: a worker makes about twenty of
# these per comment, and frozen dataclasses cost three times as much to create
# (docs/decisions/0001-plain-slots-dataclasses.md).
@dataclass(slots=True)
class Verdict:
    rule: str
    action: Action
    score: float = 0.0
    reason: str = ""
    # What the moderator page shows: matched words, links, the model's words, and `spans`
    # ([start, end) code-point offsets into the body) to highlight. A rule names the normalized
    # words and phrases to highlight under `phrases`; their spans are found when a moderator
    # first looks at the item (moderation.judging.explain), not when it is judged.
    details: Mapping[str, Any] = field(default_factory=dict)
    # Evidence for the combined score: log-odds points toward a category (see the module doc).
    category: Category = ""
    points: float = 0.0


@dataclass(slots=True)  # a value, like Verdict
class Item:
    """A comment or a rating as the rules see it."""

    kind: ItemKind
    site_id: str
    item_id: int
    version: int
    created_at: datetime
    commenter: str | None = None
    ip_hash: bytes | None = None
    thread: str | None = None
    parent_id: int | None = None
    body: str = ""
    author: str | None = None
    score: int | None = None
    verified: bool = False
    signals: Mapping[str, Any] = field(default_factory=dict)
    # The stored fingerprint of the body (moderation.text.fingerprint.text_hash) when the item was
    # read from the database; None means "compute it".
    text_hash: int | None = None

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.site_id, self.kind, self.item_id)


@dataclass(frozen=True, slots=True)
class SiteView:
    """What rules may know about the site: its settings and compiled word lists."""

    site_id: str
    settings: SiteSettings
    # Every rule's effective parameters, parsed once per settings version.
    params: Mapping[str, RuleParams] = field(default_factory=dict)
    # Compiled word lists by name ("banned", "suspect"), built once per list version.
    wordlists: Mapping[str, WordList] = field(default_factory=dict)
    version: int = 0


@dataclass(slots=True)  # a value, like Verdict
class RuleContext:
    item: Item
    site: SiteView
    now: datetime
    facts: Mapping[str, Any] = field(default_factory=dict)
    # The verdicts of the rules before this one, for the combined rule.
    verdicts: Sequence[Verdict] = ()


P = TypeVar("P", bound=RuleParams)
# Facts by rule name, then by Item.key.
FactLoader = Callable[[Any, Sequence[Item], datetime],
                      Awaitable[Mapping[str, Mapping[tuple, Any]]]]


@dataclass(frozen=True)
class Rule(Generic[P]):
    """A rule: its name, the kinds of item it judges, its parameters and its check."""

    name: str
    kinds: frozenset[str]
    params: type[P]
    check: Callable[[RuleContext, P], Verdict]
    # Reads, for a whole batch, what `check` needs from history; the pipeline calls each distinct
    # loader once per batch and hands the rule the facts under its name.
    load_facts: FactLoader | None = None
    # Loads what the rule needs once per process (a model), before the first item arrives.
    warm_up: Callable[[], object] | None = None
    # What a moderator reads beside its verdict (the model's `words`, or `spans` of its own),
    # from the body and the verdict as stored: asked when a moderator first looks at a held or
    # rejected item (moderation.judging.explain), never while judging, so it reads no facts.
    explain: Callable[[str, Verdict], Mapping[str, Any]] | None = None

    def allow(self, reason: str = "") -> Verdict:
        return Verdict(self.name, "allow", 0.0, reason)


def evidence(rule: str, category: Category, points: float, reason: str,
             details: Mapping[str, Any] | None = None) -> Verdict:
    """An allow that counts toward the combined score; kept (and shown) when it counts."""
    points = round(points, 2)
    shown = {**(details or {}), "category": category, "points": points}
    return Verdict(rule, "allow", points, reason if points else "", shown, category, points)
