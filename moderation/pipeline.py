"""Runs the rules over a batch of items and combines their verdicts into one decision."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moderation.rules import RULES, rules_for
from moderation.rules.base import Item, Rule, RuleContext, RuleParams, SiteView, Verdict

log = logging.getLogger(__name__)

DECISION_BY_ACTION = {"reject": "rejected", "hold": "held", "allow": "approved"}
SEVERITY = {"allow": 0, "hold": 1, "reject": 2}


@dataclass(frozen=True, slots=True)
class Judgement:
    item: Item
    status: str
    verdicts: tuple[Verdict, ...]


def decide(verdicts: Sequence[Verdict]) -> str:
    """Any reject makes it rejected, else any hold makes it held, else approved."""
    worst = max((v.action for v in verdicts), key=SEVERITY.__getitem__, default="allow")
    return DECISION_BY_ACTION[worst]


def judge(item: Item, site: SiteView, params: Mapping[str, RuleParams],
          rules: Sequence[Rule], facts: Mapping[str, Any], now: datetime) -> Judgement:
    ctx = RuleContext(item=item, site=site, now=now, facts=facts)
    verdicts = tuple(rule.check(ctx, params[rule.name]) for rule in rules
                     if params[rule.name].enabled)
    return Judgement(item, decide(verdicts), verdicts)


async def warm_up(rules: Sequence[Rule] = RULES) -> None:
    """Loads the rules' models in a thread, so the first items are not slow and the loop never blocks."""
    for rule in rules:
        if rule.warm_up is not None:
            await asyncio.to_thread(rule.warm_up)


async def load_facts(conn: Any, items: Sequence[Item], now: datetime,
                     rules: Sequence[Rule]) -> dict[tuple, dict[str, Any]]:
    """Runs each rule's batch fact loader once; returns facts per item key, per rule name."""
    facts: dict[tuple, dict[str, Any]] = {item.key: {} for item in items}
    for rule in rules:
        if rule.load_facts is None:
            continue
        found = await rule.load_facts(conn, items, now)
        for key, value in found.items():
            facts[key][rule.name] = value
    return facts


async def judge_batch(conn: Any, items: Sequence[Item], sites: Mapping[str, SiteView],
                      now: datetime) -> list[Judgement]:
    """Judges a batch of items of any kinds and sites; raises if a rule fails (the job retries)."""
    kinds = {item.kind for item in items}
    rules_by_kind = {kind: rules_for(kind) for kind in kinds}
    all_rules = tuple({rule.name: rule for rs in rules_by_kind.values() for rule in rs}.values())
    facts = await load_facts(conn, items, now, all_rules)
    return [judge(item, sites[item.site_id], sites[item.site_id].params,
                  rules_by_kind[item.kind], facts[item.key], now) for item in items]
