"""Read side of instruments: which instruments a user sees, a version's definition and content.

A company sees its own instruments and the built-in templates (``company`` empty). Builders
(Perm.MANAGE_INSTRUMENTS) and those who send surveys (Perm.MANAGE_SURVEYS) may read them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.db.models import Count, F, Max, Prefetch, Q, QuerySet

from manyi.errors import NotFound, OutOfScope
from manyi.instruments.definition import Definition
from manyi.instruments.models import Instrument, InstrumentVersion, VersionStatus
from manyi.instruments.rows import read_content
from manyi.org.scopes import Perm, Scope

READ_PERMS = (Perm.MANAGE_INSTRUMENTS, Perm.MANAGE_SURVEYS)


def can_read(scope: Scope) -> bool:
    """Whether the scope may read instruments at all."""
    return any(scope.can(perm) for perm in READ_PERMS)


def instruments_for(scope: Scope) -> QuerySet[Instrument]:
    """The instruments the scope sees: its company's and the built-in ones."""
    if not can_read(scope):
        return Instrument.objects.none()
    if scope.everything:
        return Instrument.objects.all()
    if scope.company_id is None:
        return Instrument.objects.filter(company__isnull=True)
    return Instrument.objects.filter(Q(company_id=scope.company_id) | Q(company__isnull=True))


def instrument_list(scope: Scope, *, kind: str = "") -> list[Instrument]:
    """Instruments for the list page and the API: own first, then built-in, with their latest
    version number, published version number and draft flag (one query)."""
    qs = instruments_for(scope).annotate(
        latest_number=Max("versions__number"),
        published_number=Max(
            "versions__number", filter=Q(versions__status=VersionStatus.PUBLISHED)
        ),
        drafts=Count("versions", filter=Q(versions__status=VersionStatus.DRAFT)),
    )
    if kind:
        qs = qs.filter(kind=kind)
    # A company holds tens of instruments, not thousands: no paging needed, capped anyway.
    own_first = F("company_id").asc(nulls_last=True)
    return list(qs.order_by(own_first, "name", "id")[:500])


def get_instrument(scope: Scope, pk: Any) -> Instrument:
    """One instrument the scope sees, with its versions (newest first), or NotFound."""
    if not can_read(scope):
        raise OutOfScope()
    versions = InstrumentVersion.objects.order_by("-number").select_related(
        "created_by", "published_by"
    )
    try:
        return (
            instruments_for(scope)
            .prefetch_related(Prefetch("versions", queryset=versions))
            .get(pk=pk)
        )
    except (Instrument.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


def get_version(scope: Scope, pk: Any) -> InstrumentVersion:
    """One version of an instrument the scope sees, or NotFound."""
    if not can_read(scope):
        raise OutOfScope()
    try:
        return InstrumentVersion.objects.select_related("instrument").get(
            pk=pk, instrument__in=instruments_for(scope)
        )
    except (InstrumentVersion.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


def current_version(instrument: Instrument) -> InstrumentVersion | None:
    """The published version new surveys should use (the highest published number)."""
    return instrument.versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()


def usable_versions(scope: Scope) -> QuerySet[InstrumentVersion]:
    """Published versions the scope may send (for a campaign's instrument picker)."""
    return (
        InstrumentVersion.objects.filter(
            status=VersionStatus.PUBLISHED, instrument__in=instruments_for(scope)
        )
        .select_related("instrument")
        .order_by("instrument__name", "-number")
    )


def content_of(version: InstrumentVersion) -> dict[str, Any]:
    """The content dict of a version (the export format): frozen JSON once published."""
    if version.definition is not None:
        content = {k: v for k, v in version.definition.items() if k != "ids"}
        # Name, description and paging belong to the instrument and may change after publishing.
        instrument = version.instrument
        content.update(
            code=instrument.code,
            name=instrument.name,
            name_en=instrument.name_en,
            kind=instrument.kind,
            description=instrument.description,
            source=instrument.source,
            paging=instrument.paging,
        )
        return content
    return read_content(version)


def definition_for(version: InstrumentVersion) -> Definition:
    """The runtime definition of a version. Once published it is parsed from the frozen JSON
    (no content query; only the instrument row for its paging mode, free when the version was
    read with ``select_related("instrument")``); a draft is read from its rows."""
    if version.definition is not None:
        definition = Definition.from_content(version.definition, version_id=version.pk)
    else:
        definition = Definition.from_content(
            read_content(version, with_ids=True), version_id=version.pk
        )
    # The paging mode may be changed on the instrument without a new version.
    paging = version.instrument.paging
    if paging != definition.paging:
        definition = replace(definition, paging=paging, _by_code={})
    return definition
