"""Runs the rules over a batch of items and combines their verdicts into one decision."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moderation.db.pool import Connection
from moderation.rules import RULES, rules_for
from moderation.rules.base import Item, Rule, RuleContext, RuleParams, SiteView, Verdict

log = logging.getLogger(__name__)

DECISION_BY_ACTION = {"reject": "rejected", "hold": "held", "allow": "approved"}
SEVERITY = {"allow": 0, "hold": 1, "reject": 2}
DECISION_BY_SEVERITY = {SEVERITY[action]: status for action, status in DECISION_BY_ACTION.items()}
# Items judged between two chances for the event loop to run something else (docs/decisions/0007).
YIELD_EVERY = 16


@dataclass(slots=True)  # a value; not frozen for speed, like rules.base.Verdict
class Judgement:
    item: Item
    status: str
    verdicts: tuple[Verdict, ...]

    @property
    def reason(self) -> str:
        """The audit line: what every rule that did not allow the item said."""
        return "; ".join(f"{v.rule}: {v.reason}" for v in self.verdicts if v.action != "allow")

    @property
    def priority(self) -> float:
        """How sure the rules that held or rejected it were: a held item's review priority
        before its thread's weight (docs/moderation.md)."""
        return sum(v.score for v in self.verdicts if v.action != "allow")

    @property
    def stored_verdicts(self) -> tuple[Verdict, ...]:
        """The verdicts worth a row: an allow without a score says nothing the absence of a row
        does not, which keeps a decision to a few verdict rows instead of one per rule. The
        evidence behind a published comment is not kept: it is what moderators read on the items
        that wait for them (or were rejected), and every comment has some."""
        if self.status == "approved":
            return tuple(v for v in self.verdicts
                         if v.action != "allow" or (v.score and not v.category))
        return tuple(v for v in self.verdicts if v.action != "allow" or v.score)


def decide(verdicts: Iterable[Verdict]) -> str:
    """Any reject makes it rejected, else any hold makes it held, else approved."""
    worst = 0
    for verdict in verdicts:
        severity = SEVERITY[verdict.action]
        if severity > worst:
            worst = severity
    return DECISION_BY_SEVERITY[worst]


def judge(item: Item, site: SiteView, params: Mapping[str, RuleParams],
          rules: Sequence[Rule], facts: Mapping[str, Any], now: datetime) -> Judgement:
    verdicts: list[Verdict] = []
    ctx = RuleContext(item=item, site=site, now=now, facts=facts, verdicts=verdicts)
    rejected = False
    for rule in rules:
        rule_params = params[rule.name]
        # Once rejected, evidence cannot change the decision: the models are not asked.
        if rule_params.enabled and not (rejected and rule_params.action == "score"):
            verdict = rule.check(ctx, rule_params)
            verdicts.append(verdict)
            rejected = rejected or verdict.action == "reject"
    # What a moderator reads (spans, the model's words) is built when one looks at the item
    # (moderation.judging.explain): most items are never looked at.
    return Judgement(item, decide(verdicts), tuple(verdicts))


async def warm_up(rules: Sequence[Rule] = RULES) -> None:
    """Loads the rules' models in a thread, so the first items are not slow and the loop never
    blocks; then takes everything loaded so far out of the garbage collector's reach (gc.freeze),
    so that full collections do not walk the models' objects with every comment in flight."""
    for rule in rules:
        if rule.warm_up is not None:
            await asyncio.to_thread(rule.warm_up)
    gc.freeze()


async def load_facts(conn: Connection, items: Sequence[Item], now: datetime,
                     rules: Sequence[Rule]) -> dict[tuple, dict[str, Any]]:
    """Runs each batch fact loader once (rules that read the same tables share one); returns
    facts per item key, per rule name."""
    facts: dict[tuple, dict[str, Any]] = {item.key: {} for item in items}
    names = {rule.name for rule in rules}
    for load in dict.fromkeys(rule.load_facts for rule in rules if rule.load_facts is not None):
        for name, found in (await load(conn, items, now)).items():
            if name in names:
                for key, value in found.items():
                    facts[key][name] = value
    return facts


async def judge_batch(conn: Connection, items: Sequence[Item], sites: Mapping[str, SiteView],
                      now: datetime) -> list[Judgement]:
    """Judges a batch of items of any kinds and sites; raises if a rule fails (the job retries)."""
    kinds = {item.kind for item in items}
    rules_by_kind = {kind: rules_for(kind) for kind in kinds}
    all_rules = tuple({rule.name: rule for rs in rules_by_kind.values() for rule in rs}.values())
    facts = await load_facts(conn, items, now, all_rules)
    judgements = []
    for start in range(0, len(items), YIELD_EVERY):
        if start:
            # Workers inside `serve` share its event loop: requests must not wait out a batch.
            await asyncio.sleep(0)
        judgements += [judge(item, sites[item.site_id], sites[item.site_id].params,
                             rules_by_kind[item.kind], facts[item.key], now)
                       for item in items[start:start + YIELD_EVERY]]
    return judgements
