"""Where a problem comes from, and which standard an action changes: generic references.

A problem points back at its source — a complaint, a complaint cause, an audit finding, a weak
survey factor, a weak CSAS item — by ``(kind, id)`` plus a label and a link kept on the problem,
not by a foreign key: improvement sits on top of those apps and must not need their tables to
exist (nor break when a row is archived). An action that changes a service standard refers to it
the same way (kind ``standard``).

Each kind has a :class:`SourceKind` in the registry. Its ``describe`` function, when present,
checks that the actor may see the rows and says how to name and link them::

    describe(scope, ids: list[str]) -> {id: Described(label, url, unit_id)}

An id missing from the answer is unknown or outside the actor's scope, and the reference is
refused. A kind without ``describe`` (its app does not say yet) accepts the label and link the
caller gives.

**How an app plugs in.** Dependencies point up to improvement, never down from it, so an app
does not import this module: it adds ``manyi/<app>/problem_sources.py`` holding
``SOURCES = {"survey_factor": describe_factors, …}`` (plain functions returning dicts with
``label``, ``url`` and optionally ``unit_id``; ``OPTIONS`` likewise for pick lists), and
:func:`autodiscover` registers them when the project starts, in place of the ones here. The
kinds of apps that exist today are described here: complaints and their causes, audit findings
(by their ``uid``) and service standards.

A source page offers "raise a problem" as a plain link, with no import at all:
``/improvement/problems/new/?source_kind=audit_finding&source_id=17`` (the form is filled from
the description), and may list the problems raised from a row with
``improvement.queries.problems_from(scope, kind, id)``; code that must raise one itself calls
``improvement.actions.raise_problem(..., source=SourceRef(kind, id))``.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from manyi.errors import InvalidInput
from manyi.org.scopes import Scope


@dataclass(frozen=True)
class Described:
    """What a source row is called, where it is shown, and the unit it belongs to."""

    label: str
    url: str = ""
    unit_id: int | None = None


Describe = Callable[[Scope, list[str]], dict[str, Any]]
Options = Callable[[Scope], list[tuple[str, str]]]


@dataclass(frozen=True)
class SourceKind:
    code: str
    label: Promise | str
    describe: Describe | None = None
    # Whether problems may come from it ("standard" is only the target of an action).
    problem_source: bool = True
    # The rows a form may offer to pick from, as (id, label) — e.g. the company's standards.
    options: Options | None = None


@dataclass(frozen=True)
class SourceRef:
    """A reference given by a caller: kind and id, with a label and link when known."""

    kind: str
    id: str
    label: str = ""
    url: str = ""


_REGISTRY: dict[str, SourceKind] = {}


def register(
    code: str,
    label: Promise | str,
    describe: Describe | None = None,
    *,
    problem_source: bool = True,
    options: Options | None = None,
) -> None:
    """Add or replace a kind of reference."""
    _REGISTRY[code] = SourceKind(code, label, describe, problem_source, options)


def options_for(code: str, scope: Scope) -> list[tuple[str, str]] | None:
    """The rows of kind ``code`` a form may offer the actor, or None when the kind has no list
    (the form then asks for an id and a label)."""
    kind = _REGISTRY.get(code)
    if kind is None or kind.options is None:
        return None
    return kind.options(scope)


def get_kind(code: str) -> SourceKind | None:
    return _REGISTRY.get(code)


def problem_kinds() -> list[SourceKind]:
    """The kinds a problem may come from, in registration order."""
    return [k for k in _REGISTRY.values() if k.problem_source]


def kind_label(code: str) -> str:
    kind = _REGISTRY.get(code)
    return str(kind.label) if kind else code


def _as_described(value: Any) -> Described:
    if isinstance(value, Described):
        return value
    return Described(
        label=str(value.get("label", "")),
        url=str(value.get("url", "") or ""),
        unit_id=value.get("unit_id"),
    )


def _safe_url(url: str) -> str:
    # Only links inside manyi: a stored link must never send staff to another site.
    url = (url or "").strip()
    # Browsers read "/\\host" as "//host" (another site): no backslashes, no blanks either.
    odd = any(ch == "\\" or ch.isspace() or ord(ch) < 32 for ch in url)
    if url and (not url.startswith("/") or url.startswith("//") or odd or len(url) > 300):
        raise InvalidInput(_("The source link must be a path inside manyi."), field="source")
    return url


def resolve(
    scope: Scope, ref: SourceRef, *, field: str = "source", problem_source: bool = True
) -> Described:
    """The checked description of ``ref`` for an actor, or InvalidInput naming ``field``.

    ``problem_source``: whether ``ref`` is where a problem comes from (else: what an action
    changes, a standard)."""
    kind = _REGISTRY.get((ref.kind or "").strip())
    ref_id = str(ref.id or "").strip()
    if kind is None or kind.problem_source != problem_source:
        raise InvalidInput(_("Unknown kind of source."), field=field)
    if not ref_id or len(ref_id) > 64:
        raise InvalidInput(_("Say which record the source is."), field=field)
    if kind.describe is None:
        label = (ref.label or "").strip()
        if not label:
            raise InvalidInput(_("Give the source a label."), field=field)
        return Described(label=label[:200], url=_safe_url(ref.url))
    found = kind.describe(scope, [ref_id]).get(ref_id)
    if found is None:
        raise InvalidInput(_("The source was not found, or you may not see it."), field=field)
    described = _as_described(found)
    return Described(
        label=(described.label or ref.label or ref_id)[:200],
        url=_safe_url(described.url),
        unit_id=described.unit_id,
    )


# -- the kinds manyi knows ---------------------------------------------------------------------


def _int_ids(ids: Iterable[str]) -> list[int]:
    out = []
    for raw in ids:
        try:
            value = int(raw)
        except (TypeError, ValueError):
            continue
        if 0 < value < 2**63:
            out.append(value)
    return out


def describe_complaints(scope: Scope, ids: list[str]) -> dict[str, Described]:
    """Complaints the actor may read: their case number and title, the case page, the outlet."""
    from django.urls import reverse

    from manyi.complaints.queries import visible_complaints

    rows = visible_complaints(scope).filter(pk__in=_int_ids(ids)).select_related("case")
    return {
        str(c.pk): Described(
            label=f"{c.case.number} {c.case.title}".strip(),
            url=reverse("cases:detail", args=[c.case_id]),
            unit_id=c.case.unit_id,
        )
        for c in rows
    }


def describe_causes(scope: Scope, ids: list[str]) -> dict[str, Described]:
    """Root-cause categories of complaints in the actor's company (a cause spans outlets)."""
    from django.urls import reverse

    from manyi.org.scopes import Perm

    CauseCategory = apps.get_model("complaints", "CauseCategory")
    if not scope.can(Perm.VIEW_CASES) or scope.company_id is None:
        return {}
    rows = CauseCategory.objects.filter(company_id=scope.company_id, pk__in=_int_ids(ids))
    # The label is stored on the problem: written in the site's language, not the actor's.
    with translation.override(settings.LANGUAGE_CODE):
        return {
            str(c.pk): Described(
                label=str(_("Complaint cause: %(name)s") % {"name": c.name}),
                url=reverse("complaint_analytics:index"),
            )
            for c in rows
        }


def describe_findings(scope: Scope, ids: list[str]) -> dict[str, Described]:
    """Audit findings (by their stable ``uid``) of outlets the actor may read audits of: the
    standard and outlet, the audit's page, the outlet."""
    import uuid

    from django.urls import reverse

    from manyi.quality.access import can_read
    from manyi.quality.models import AuditFinding

    if not can_read(scope):
        return {}
    uids = []
    for raw in ids:
        try:
            uids.append(uuid.UUID(str(raw)))
        except ValueError:
            continue
    rows = scope.filter(
        AuditFinding.objects.filter(uid__in=uids), unit_field="outlet"
    ).select_related("standard", "outlet")
    with translation.override(settings.LANGUAGE_CODE):
        return {
            str(f.uid): Described(
                label=str(
                    _("%(outlet)s · %(code)s %(standard)s (%(kind)s)")
                    % {
                        "outlet": f.outlet.name,
                        "code": f.standard.code,
                        "standard": f.standard.statement[:60],
                        "kind": f.get_kind_display(),
                    }
                ),
                url=reverse("quality:audit", args=[f.audit_id]),
                unit_id=f.outlet_id,
            )
            for f in rows
        }


def _standards(scope: Scope):
    from manyi.quality.access import can_read
    from manyi.quality.models import Standard, StandardStatus

    if not can_read(scope):
        return Standard.objects.none()
    return Standard.objects.filter(company_id=scope.company_id).exclude(
        status=StandardStatus.RETIRED
    )


def describe_standards(scope: Scope, ids: list[str]) -> dict[str, Described]:
    """The company's service standards (not retired), by id: code and wording, their page."""
    from django.urls import reverse

    rows = _standards(scope).filter(pk__in=_int_ids(ids))
    return {
        str(s.pk): Described(
            label=f"{s.code} {s.statement}"[:200], url=reverse("quality:standard", args=[s.pk])
        )
        for s in rows
    }


def standard_options(scope: Scope) -> list[tuple[str, str]]:
    """The company's standards an action may change, by code."""
    return [
        (str(pk), f"{code} {statement}"[:120])
        for pk, code, statement in _standards(scope)
        .order_by("code", "pk")
        .values_list("pk", "code", "statement")[:500]
    ]


register("complaint", _("Complaint"), describe_complaints)
register("complaint_cause", _("Complaint cause"), describe_causes)
register("audit_finding", _("Audit finding"), describe_findings)
register("survey_factor", _("Weak survey factor"))
register("csas_item", _("Weak team assessment (CSAS) item"))
register(
    "standard",
    _("Service standard"),
    describe_standards,
    problem_source=False,
    options=standard_options,
)


def autodiscover() -> None:
    """Register the kinds that apps declare in their ``problem_sources`` module."""
    for config in apps.get_app_configs():
        if not config.name.startswith("manyi."):
            continue
        name = f"{config.name}.problem_sources"
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        for code, describe in getattr(module, "SOURCES", {}).items():
            existing = _REGISTRY.get(code)
            label = getattr(module, "LABELS", {}).get(code) or (
                existing.label if existing else code
            )
            problem_source = existing.problem_source if existing else True
            register(code, label, describe, problem_source=problem_source)
