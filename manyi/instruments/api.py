"""The instruments API under /api/v1/: read instruments and versions, import/export JSON, drafts,
publishing — the same actions as the builder pages.

Reading needs Perm.MANAGE_INSTRUMENTS or Perm.MANAGE_SURVEYS (those who send surveys pick an
instrument); writing needs Perm.MANAGE_INSTRUMENTS, company-wide. A company sees its own
instruments and the built-in templates (``builtin: true``, read-only: copy them to change them).

The content of a version is the import/export format ``manyi-instrument/1`` (see
``manyi/instruments/definition.py``). A draft is edited by sending its whole content
(``PUT /instrument-versions/{id}/content``); a published version never changes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from manyi.errors import OutOfScope
from manyi.instruments import actions, queries
from manyi.instruments.answers import clean_answers
from manyi.instruments.models import Instrument, InstrumentKind, InstrumentVersion
from manyi.instruments.scoring import score
from manyi.org.scopes import scope_for

router = Router(tags=["instruments"])


class VersionOut(Schema):
    id: int
    instrument_id: int
    number: int
    status: str = Field(..., description="draft, published or retired")
    missing_rule: str = Field(..., description="skip (and re-weight) or zero")
    band_basis: str
    bands: list[dict[str, Any]]
    created_at: dt.datetime
    published_at: dt.datetime | None
    retired_at: dt.datetime | None


class VersionDetail(VersionOut):
    content: dict[str, Any] = Field(..., description="the content, format manyi-instrument/1")


class InstrumentOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    kind: str
    description: str
    source: str = Field(..., description="the seed or document the content comes from")
    paging: str = Field(..., description="item: one question per screen; page: all on one page")
    builtin: bool
    published_version: int | None = Field(..., description="number of the current version")
    has_draft: bool


class InstrumentDetail(InstrumentOut):
    versions: list[VersionOut]


class InstrumentIn(Schema):
    code: str = Field(..., max_length=40)
    name: str = Field(..., max_length=100)
    kind: str = Field(..., max_length=24)
    paging: str = Field("page", max_length=8)
    description: str = Field("", max_length=5000)
    source: str = Field("", max_length=200)


class CopyIn(Schema):
    code: str = Field(..., max_length=40)
    name: str = Field("", max_length=100)


class ScoreIn(Schema):
    answers: dict[str, Any] = Field(..., description="{item code: answer}")


class ScoreOut(Schema):
    answers: dict[str, Any] = Field(..., description="the answers as validated")
    index: float | None
    total: float | None
    max_total: float | None
    band: str | None
    factors: dict[str, float]
    items: dict[str, float]
    strengths: list[str]
    weaknesses: list[str]
    hidden: list[str]


def _version_out(version: InstrumentVersion) -> dict[str, Any]:
    return {name: getattr(version, name) for name in VersionOut.model_fields}


def _instrument_out(instrument: Instrument, versions: list[InstrumentVersion]) -> dict[str, Any]:
    published = [v.number for v in versions if v.status == "published"]
    return {
        **{
            name: getattr(instrument, name)
            for name in ("id", "code", "name", "name_en", "kind", "description", "source")
        },
        "paging": instrument.paging,
        "builtin": instrument.is_builtin,
        "published_version": max(published) if published else None,
        "has_draft": any(v.status == "draft" for v in versions),
    }


def _detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    instrument = queries.get_instrument(scope_for(request.user), pk)
    versions = list(instrument.versions.all())
    return {
        **_instrument_out(instrument, versions),
        "versions": [_version_out(v) for v in versions],
    }


def _version_detail(version: InstrumentVersion) -> dict[str, Any]:
    return {**_version_out(version), "content": queries.content_of(version)}


@router.get("/instruments", response=list[InstrumentOut], summary="List instruments")
def list_instruments(request: HttpRequest, kind: str = ""):
    """The company's instruments, then the built-in templates (at most 500)."""
    scope = scope_for(request.user)
    if not queries.can_read(scope):
        raise OutOfScope()
    if kind and kind not in InstrumentKind.values:
        kind = "-"
    rows = queries.instrument_list(scope, kind=kind)
    return [
        {
            **{
                name: getattr(i, name)
                for name in ("id", "code", "name", "name_en", "kind", "description", "source")
            },
            "paging": i.paging,
            "builtin": i.is_builtin,
            "published_version": i.published_number,
            "has_draft": bool(i.drafts),
        }
        for i in rows
    ]


@router.post("/instruments", response={201: InstrumentDetail}, summary="Create an instrument")
def create_instrument(request: HttpRequest, data: InstrumentIn):
    """A new instrument with an empty draft version 1."""
    instrument = actions.create_instrument(actor=request.user, data=data.dict())
    return Status(201, _detail(request, instrument.pk))


@router.post(
    "/instruments/import",
    response={201: InstrumentDetail},
    summary="Import an instrument from JSON",
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": "the content, format manyi-instrument/1 (as exported)",
        }
    },
)
def import_instrument(request: HttpRequest):
    """A new instrument whose draft version 1 holds the posted content (validated whole)."""
    instrument = actions.import_instrument(actor=request.user, data=request.body)
    return Status(201, _detail(request, instrument.pk))


@router.get("/instruments/{instrument_id}", response=InstrumentDetail)
def get_instrument(request: HttpRequest, instrument_id: int):
    """One instrument with its versions, newest first."""
    return _detail(request, instrument_id)


@router.post(
    "/instruments/{instrument_id}/drafts",
    response={200: VersionDetail, 201: VersionDetail},
    summary="Start (or get) the draft",
)
def new_draft(request: HttpRequest, instrument_id: int):
    """The instrument's draft: 201 with a new version copying the latest one, or 200 with the
    draft that already exists."""
    scope = scope_for(request.user)
    had = queries.get_instrument(scope, instrument_id).versions.filter(status="draft").exists()
    draft = actions.new_draft(actor=request.user, instrument=instrument_id)
    return Status(200 if had else 201, _version_detail(draft))


@router.get("/instrument-versions/{version_id}", response=VersionDetail)
def get_version(request: HttpRequest, version_id: int):
    """One version with its content (frozen once published)."""
    return _version_detail(queries.get_version(scope_for(request.user), version_id))


@router.get(
    "/instrument-versions/{version_id}/export",
    response=dict[str, Any],
    summary="Export a version as JSON",
)
def export_version(request: HttpRequest, version_id: int):
    """The content alone, ready for ``POST /instruments/import``."""
    return queries.content_of(queries.get_version(scope_for(request.user), version_id))


@router.put(
    "/instrument-versions/{version_id}/content",
    response=VersionDetail,
    summary="Replace a draft's content",
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": "the content, format manyi-instrument/1",
        }
    },
)
def replace_content(request: HttpRequest, version_id: int):
    """Replace the draft's sections, items, factors and scoring settings (409 if published)."""
    version = actions.replace_content(actor=request.user, version=version_id, data=request.body)
    version.refresh_from_db()
    return _version_detail(version)


@router.post("/instrument-versions/{version_id}/publish", response=VersionDetail)
def publish(request: HttpRequest, version_id: int):
    """Freeze the draft; the version published before is retired."""
    version = actions.publish(actor=request.user, version=version_id)
    return _version_detail(version)


@router.post("/instrument-versions/{version_id}/retire", response=VersionDetail)
def retire(request: HttpRequest, version_id: int):
    """Stop offering a published version for new surveys."""
    version = actions.retire(actor=request.user, version=version_id)
    return _version_detail(version)


@router.post(
    "/instrument-versions/{version_id}/copy",
    response={201: InstrumentDetail},
    summary="Copy a version into a new instrument",
)
def copy_version(request: HttpRequest, version_id: int, data: CopyIn):
    """A company's own instrument whose draft copies this version (built-in or own)."""
    instrument = actions.copy_instrument(
        actor=request.user, version=version_id, code=data.code, name=data.name
    )
    return Status(201, _detail(request, instrument.pk))


@router.post(
    "/instrument-versions/{version_id}/score",
    response=ScoreOut,
    summary="Validate and score answers (nothing is stored)",
)
def score_answers(request: HttpRequest, version_id: int, data: ScoreIn):
    """What a response with these answers would score: the check before storing one."""
    version = queries.get_version(scope_for(request.user), version_id)
    definition = queries.definition_for(version)
    answers = clean_answers(definition, data.answers)
    result = score(definition, answers)
    return {
        "answers": answers,
        "index": result.index,
        "total": result.total,
        "max_total": result.max_total,
        "band": result.band,
        "factors": result.factors,
        "items": result.items,
        "strengths": result.strengths,
        "weaknesses": result.weaknesses,
        "hidden": sorted(result.hidden),
    }
