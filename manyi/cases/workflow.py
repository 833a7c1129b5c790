"""Workflows as data: stages, moves, who may make them, what they require, SLAs by priority.

A workflow (the work order, the complaint, …) is a :class:`Workflow` value registered under its
kind. The engine (``actions.move``) reads it and never names a workflow itself, so a new kind of
case is a new declaration, not an engine change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class SlaKind(models.TextChoices):
    BUSINESS_HOURS = "business_hours", _("within business hours")
    NEXT_BUSINESS_DAY = "next_business_day", _("by the next business day")
    BUSINESS_DAYS = "business_days", _("within business days")
    CALENDAR_DAYS = "calendar_days", _("within calendar days")


@dataclass(frozen=True)
class Sla:
    """How long a stage may take: "within 2 business hours", "by the next business day", …"""

    kind: str
    amount: Decimal = Decimal(1)

    def describe(self) -> str:
        from django.utils.translation import gettext as gt

        if self.kind == SlaKind.NEXT_BUSINESS_DAY:
            return gt("by the next business day")
        units = {
            SlaKind.BUSINESS_HOURS: gt("business hours"),
            SlaKind.BUSINESS_DAYS: gt("business days"),
            SlaKind.CALENDAR_DAYS: gt("calendar days"),
        }
        return gt("within %(amount)s %(unit)s") % {
            "amount": f"{self.amount.normalize():f}",
            "unit": units.get(self.kind, self.kind),
        }


# A requirement checks a move's payload against the case; it returns an error message (lazy)
# naming what is missing, or None. Requirements are plain functions so workflows can add their
# own (a signature, a checklist result, a responsibility ruling) without touching the engine.
Requirement = Callable[[Any, Mapping[str, Any]], tuple[str, Promise] | None]


@dataclass(frozen=True)
class Stage:
    """One step of a workflow."""

    code: str
    label: Promise
    # SLA per priority; a priority missing here falls back to "normal"; None: no clock.
    sla: Mapping[str, Sla] | None = None
    # Whether staff may pause the clock here (e.g. waiting for the customer).
    pausable: bool = False
    # A closed case: no clock, no further moves except those declared from it.
    closed: bool = False
    # A rule that depends on the case (e.g. the return visit: 3 days for car service, 30 for
    # paint); consulted before ``sla``; returning None falls back to ``sla``.
    sla_rule: Callable[[Any], Sla | None] | None = None

    def sla_for(self, priority: str) -> Sla | None:
        if not self.sla:
            return None
        return self.sla.get(priority) or self.sla.get(Priority.NORMAL)

    def sla_for_case(self, case: Any) -> Sla | None:
        """The SLA of this stage for one case."""
        if self.closed:
            return None
        if self.sla_rule is not None:
            rule = self.sla_rule(case)
            if rule is not None:
                return rule
        return self.sla_for(case.priority)


@dataclass(frozen=True)
class Move:
    """An allowed change of stage."""

    code: str
    label: Promise
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]
    requires: tuple[Requirement, ...] = ()
    # Whether the actor must be the case's assignee (unless a manager role below allows it).
    assignee_only: bool = False
    # Counted moves (e.g. rework) are tallied on the case.
    counter: str | None = None
    # Called inside the move's transaction after the stage changed, to keep what the payload
    # carries (a checklist, an outcome) on the workflow's own records.
    after: Callable[[Any, Any, Mapping[str, Any]], None] | None = None


@dataclass(frozen=True)
class Workflow:
    """A kind of case: its stages in order, its moves, its case-number prefix."""

    kind: str
    label: Promise
    number_prefix: str
    stages: tuple[Stage, ...]
    moves: tuple[Move, ...]
    # Roles that may act on any case of their scope regardless of assignee_only.
    manager_roles: frozenset[str] = frozenset()
    _stage_index: dict[str, Stage] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {stage.code: stage for stage in self.stages}
        if len(index) != len(self.stages):
            raise ValueError(f"{self.kind}: duplicate stage codes")
        codes = [move.code for move in self.moves]
        if len(set(codes)) != len(codes):
            raise ValueError(f"{self.kind}: duplicate move codes")
        for move in self.moves:
            unknown = {*move.sources, move.target} - set(index)
            if unknown:
                raise ValueError(f"{self.kind}.{move.code}: unknown stages {sorted(unknown)}")
        self._stage_index.update(index)

    @property
    def initial(self) -> Stage:
        return self.stages[0]

    def stage(self, code: str) -> Stage:
        return self._stage_index[code]

    def move(self, code: str) -> Move | None:
        return next((m for m in self.moves if m.code == code), None)

    def moves_from(self, stage: str) -> list[Move]:
        return [m for m in self.moves if stage in m.sources]


_REGISTRY: dict[str, Workflow] = {}


def register(workflow: Workflow) -> Workflow:
    """Make a workflow known to the engine (called at import of the workflow's module)."""
    existing = _REGISTRY.get(workflow.kind)
    if existing is not None and existing is not workflow:
        raise ValueError(f"workflow {workflow.kind!r} registered twice")
    _REGISTRY[workflow.kind] = workflow
    return workflow


def get_workflow(kind: str) -> Workflow:
    return _REGISTRY[kind]


def workflows() -> list[Workflow]:
    return list(_REGISTRY.values())
