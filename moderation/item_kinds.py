"""What the queue knows about each kind of item: how to load it for the rules, how to apply a decision."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from moderation import comments, ratings
from moderation.rules.base import Item

Decisions = list[tuple[Item, str]]


@dataclass(frozen=True)
class ItemKind:
    # Loads the still-pending items behind a list of claimed jobs of this kind.
    load: Callable[..., Awaitable[list[Item]]]
    # Applies decisions inside the finishing transaction; returns those that took effect, each
    # with the status actually stored.
    apply: Callable[..., Awaitable[Decisions]]


ITEM_KINDS: dict[str, ItemKind] = {
    "comment": ItemKind(comments.load_for_rules, comments.apply_decisions),
    "rating": ItemKind(ratings.load_for_rules, ratings.apply_decisions),
}
