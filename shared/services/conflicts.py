"""Checks of a new rule against the registry's existing rules, mirroring the service's own rules.

Run before the first write so a conflicting request changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.domain.errors import CacheRuleConflict, RuleLimitReached
from shared.domain.models import CacheRule
from shared.domain.repositories import covers, is_wildcard

MAX_RULES_PER_REGISTRY = 1000


def check_against_existing(*, name: str, target: str, existing: Sequence[CacheRule]) -> None:
    others = [r for r in existing if r.name.lower() != name.lower()]
    if len(others) >= MAX_RULES_PER_REGISTRY:
        raise RuleLimitReached(
            f"the registry already has {len(others)} cache rules; the limit is {MAX_RULES_PER_REGISTRY}",
            extensions={"limit": MAX_RULES_PER_REGISTRY},
        )
    for rule in others:
        if rule.target_repository.lower() == target:
            raise CacheRuleConflict(
                f"cache rule '{rule.name}' already maps target repository '{target}'",
                extensions={"conflictingRule": rule.name},
            )
        theirs = rule.target_repository.lower()
        if is_wildcard(target) and is_wildcard(theirs) and (covers(target, theirs) or covers(theirs, target)):
            raise CacheRuleConflict(
                f"wildcard target '{target}' overlaps wildcard rule '{rule.name}' ('{theirs}'): wildcard rules may "
                "not nest",
                extensions={"conflictingRule": rule.name},
            )
