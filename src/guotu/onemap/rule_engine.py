"""A small rule engine: one compliance rule per module in :mod:`guotu.onemap.rules`.

A rule module defines ``RULE = Rule(...)`` with a stable id, a version, its legal basis and an
``evaluate`` function from the review's measured facts to a :class:`Finding`. The engine discovers
every module of the package, so a new rule is a new file; the engine does not change.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from guotu.core.messages import tr

PASS = "pass"
CONFLICT = "conflict"
ATTENTION = "attention"
VERDICTS = (PASS, ATTENTION, CONFLICT)  # in increasing severity


@dataclass(frozen=True)
class Finding:
    """A rule's verdict on one review and the message (key and parameters) that explains it."""

    verdict: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def detail(self, language: str | None = None) -> str:
        return tr(self.key, language=language, **self.params)


@dataclass(frozen=True)
class Rule:
    """One compliance rule. ``title_key`` and ``basis_key`` name catalog messages."""

    id: str
    version: str
    title_key: str
    basis_key: str
    layers: tuple[str, ...]
    evaluate: Callable[[Any], Finding]

    def title(self, language: str | None = None) -> str:
        return tr(self.title_key, language=language)

    def basis(self, language: str | None = None) -> str:
        return tr(self.basis_key, language=language)


@cache
def load_rules() -> tuple[Rule, ...]:
    """Every rule of :mod:`guotu.onemap.rules`, in id order; ids must be unique."""
    from guotu.onemap import rules as package

    found: dict[str, Rule] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        rule = getattr(module, "RULE", None)
        if not isinstance(rule, Rule):
            continue
        if rule.id in found:
            raise RuntimeError(f"rule id {rule.id} defined twice ({info.name})")
        found[rule.id] = rule
    return tuple(found[k] for k in sorted(found))


def worst(verdicts: list[str]) -> str:
    """The most severe verdict of a list (pass when empty)."""
    return max(verdicts, key=VERDICTS.index, default=PASS)
