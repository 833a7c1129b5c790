"""Read side of the organisation: the unit tree, audit history."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Model, Q, QuerySet

from manyi.org.models import AuditEntry, Unit
from manyi.org.scopes import Perm, Scope


@dataclass
class TreeNode:
    """A unit with its children, for the organisation page."""

    unit: Unit
    staff_count: int
    children: list[TreeNode] = field(default_factory=list)


def unit_tree(scope: Scope) -> list[TreeNode]:
    """The user's subtree as nested nodes, built from one query."""
    units = scope.units().annotate(staff_count=Count("staff")).order_by("path")
    nodes: dict[int, TreeNode] = {}
    roots: list[TreeNode] = []
    for unit in units:
        node = TreeNode(unit=unit, staff_count=unit.staff_count)
        nodes[unit.pk] = node
        parent = nodes.get(unit.parent_id) if unit.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


def history_of(scope: Scope, obj: Model, limit: int = 50) -> list[AuditEntry]:
    """The audit entries of one record, newest first (empty without the right to see them)."""
    if not scope.can(Perm.VIEW_AUDIT):
        return []
    entries = list(
        AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .select_related("actor__staff")
        .order_by("-at", "-id")[:limit]
    )
    for entry in entries:
        # (label, old, new) with the field's translated label, for the history panel.
        entry.change_rows = [
            (field_label(type(obj), name), *change)
            for name, change in entry.changes.items()
            if isinstance(change, list) and len(change) == 2
        ]
    return entries


def field_label(model: type[Model], name: str) -> str:
    """A field's translated label (or the name itself for pseudo-fields like is_active)."""
    from django.core.exceptions import FieldDoesNotExist
    from django.utils.translation import gettext as _

    if name == "is_active" and not hasattr(model, "is_active"):
        return _("may log in")
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def audit_entries(scope: Scope) -> QuerySet[AuditEntry]:
    """The company's audit log, newest first."""
    qs = AuditEntry.objects.select_related("actor__staff")
    if scope.everything:
        return qs
    if not scope.can(Perm.VIEW_AUDIT) or scope.company_id is None:
        return qs.none()
    qs = qs.filter(company_id=scope.company_id)
    if not scope.is_company_wide:
        # Below company level: entries written by people of the same subtree.
        qs = qs.filter(Q(actor__staff__unit__path__startswith=scope.unit_path))
    return qs
