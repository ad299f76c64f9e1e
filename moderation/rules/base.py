"""The one interface every rule implements: a frozen context in, a verdict out.

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
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

Action = Literal["allow", "hold", "reject"]
ItemKind = Literal["comment", "rating"]


class RuleParams(BaseModel):
    """Per-site parameters of one rule; every rule extends this with its own fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    action: Literal["hold", "reject"] = "hold"


# Values, never changed after they are made, but not frozen=True: a worker makes about twenty of
# these per comment, and a frozen dataclass costs three times as much to create (1.9 against
# 0.6 µs for a Verdict; 13 % of a worker's CPU went to those constructors).
@dataclass(slots=True)
class Verdict:
    rule: str
    action: Action
    score: float = 0.0
    reason: str = ""
    # What the moderator page highlights: matched words, links, spans of the text.
    details: Mapping[str, Any] = field(default_factory=dict)


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
    settings: Any  # moderation.sites.settings.SiteSettings (kept untyped to avoid an import cycle)
    # Every rule's effective parameters, parsed once per settings version.
    params: Mapping[str, RuleParams] = field(default_factory=dict)
    # Compiled word lists by name ("banned", "suspect"), built once per list version.
    wordlists: Mapping[str, Any] = field(default_factory=dict)
    version: int = 0


@dataclass(slots=True)  # a value, like Verdict
class RuleContext:
    item: Item
    site: SiteView
    now: datetime
    facts: Mapping[str, Any] = field(default_factory=dict)


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

    def allow(self, reason: str = "") -> Verdict:
        return Verdict(self.name, "allow", 0.0, reason)
