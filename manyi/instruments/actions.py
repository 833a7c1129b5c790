"""Every write to instruments: create, import, copy, edit a draft, publish, retire.

Rules kept here, for the builder pages and the API alike:

* only company-wide holders of Perm.MANAGE_INSTRUMENTS (department head, administrator) write,
  and only their own company's instruments; built-in templates are read-only (copy them);
* only a **draft** version changes: every edit locks the draft row and refuses a published or
  retired version (:class:`~manyi.errors.Conflict`); "edit" on a published instrument means
  :func:`new_draft`, which copies the latest published content into the next version number;
* publishing validates the whole content (the same :func:`~.definition.clean_content` that
  import uses), freezes it into ``definition`` and retires the version published before;
* a display condition may refer only to an earlier item, so moves, deletions and type changes
  that would break a condition are refused with the dependent question named.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.errors import Conflict, InvalidInput, NotFound, OutOfScope, interpolate
from manyi.instruments.definition import (
    clean_bands,
    clean_condition,
    clean_content,
    clean_item,
)
from manyi.instruments.models import (
    BandBasis,
    Factor,
    Instrument,
    InstrumentKind,
    InstrumentVersion,
    Item,
    MissingRule,
    Paging,
    Section,
    VersionStatus,
)
from manyi.instruments.rows import item_dict, item_fields, read_content, write_content
from manyi.org.actions import audit
from manyi.org.models import AuditAction
from manyi.org.scopes import Perm, Scope, scope_for

MAX_IMPORT_BYTES = 1_000_000
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_MODELS = {"Section": Section, "Item": Item, "Factor": Factor}


# -- access --------------------------------------------------------------------------------------


def builder_scope(actor: Any) -> Scope:
    """The actor's scope if they may build their company's instruments; else OutOfScope."""
    scope = scope_for(actor)
    scope.require(Perm.MANAGE_INSTRUMENTS)
    if scope.company_id is None or not scope.is_company_wide:
        raise OutOfScope()
    return scope


def _instrument(scope: Scope, instrument: Instrument | int, *, lock: bool = False) -> Instrument:
    """One of the scope's company's own instruments (built-ins are not found for writing)."""
    pk = instrument.pk if isinstance(instrument, Instrument) else instrument
    qs = Instrument.objects.filter(company_id=scope.company_id)
    if lock:
        qs = qs.select_for_update()
    try:
        return qs.get(pk=pk)
    except (Instrument.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


def _version(scope: Scope, version: InstrumentVersion | int, *, lock: bool = False):
    pk = version.pk if isinstance(version, InstrumentVersion) else version
    qs = InstrumentVersion.objects.select_related("instrument").filter(
        instrument__company_id=scope.company_id
    )
    if lock:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(pk=pk)
    except (InstrumentVersion.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


def require_draft(version: InstrumentVersion) -> None:
    """Refuse (Conflict) unless ``version`` is a draft: published versions never change."""
    if version.status != VersionStatus.DRAFT:
        raise Conflict(
            _("A published version never changes. Start a new draft to edit the instrument.")
        )


def _draft(scope: Scope, version: InstrumentVersion | int) -> InstrumentVersion:
    """The draft version, locked for the edit; a published or retired one is refused."""
    version = _version(scope, version, lock=True)
    require_draft(version)
    Instrument.objects.filter(pk=version.instrument_id).update(updated_at=clock.now())
    return version


def _log(actor: Any, scope: Scope, action: str, obj, changes: dict[str, Any]) -> None:
    """Audit one change to a draft's content (what changed, in which version)."""
    version = getattr(obj, "version", None)
    if version is not None:
        changes = {"version": str(version), **changes}
    audit(actor=actor, action=action, obj=obj, company_id=scope.company_id, changes=changes)


def _draft_of(scope: Scope, obj, model) -> tuple[Any, InstrumentVersion]:
    """A section, item or factor of a draft of the scope's company (row locked with its draft)."""
    pk = obj.pk if isinstance(obj, model) else obj
    try:
        version_id = (
            model.objects.filter(pk=pk, version__instrument__company_id=scope.company_id)
            .values_list("version_id", flat=True)
            .get()
        )
    except (model.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    version = _draft(scope, version_id)
    return model.objects.select_for_update().get(pk=pk), version


# -- instruments ---------------------------------------------------------------------------------


def _clean_meta(data: dict[str, Any]) -> dict[str, Any]:
    """Name, purpose, description, paging (and code when given) of an instrument."""
    errors = []
    cleaned: dict[str, Any] = {}
    if "code" in data:
        code = (data.get("code") or "").strip()
        if (
            not code
            or len(code) > 40
            or not all(c.isascii() and (c.isalnum() or c in "-_") for c in code)
        ):
            errors.append(("code", _("Use 1–40 letters, digits, - or _.")))
        cleaned["code"] = code
    name = (data.get("name") or "").strip()
    if not name or len(name) > 100:
        errors.append(("name", _("Enter a name (at most 100 characters).")))
    cleaned["name"] = name
    name_en = (data.get("name_en") or "").strip()
    if len(name_en) > 100:
        errors.append(("name_en", _("At most 100 characters.")))
    cleaned["name_en"] = name_en
    kind = data.get("kind") or ""
    if kind not in InstrumentKind.values:
        errors.append(("kind", _("Not one of the available choices.")))
    cleaned["kind"] = kind
    paging = data.get("paging") or Paging.ONE_PAGE
    if paging not in Paging.values:
        errors.append(("paging", _("Not one of the available choices.")))
    cleaned["paging"] = paging
    description = (data.get("description") or "").strip().replace("\r\n", "\n")
    if len(description) > 5000:
        errors.append(("description", _("At most 5000 characters.")))
    cleaned["description"] = description
    source = (data.get("source") or "").strip()
    if len(source) > 200:
        errors.append(("source", _("At most 200 characters.")))
    cleaned["source"] = source
    if errors:
        raise InvalidInput(errors=errors)
    return cleaned


def _code_taken(company_id: int, code: str, *, exclude: int | None = None) -> bool:
    qs = Instrument.objects.filter(company_id=company_id, code=code)
    if exclude:
        qs = qs.exclude(pk=exclude)
    return qs.exists()


def _code_error() -> InvalidInput:
    return InvalidInput(
        _("Your company already has an instrument with this code."),
        field="code",
    )


def _new_instrument(scope: Scope, actor: Any, meta: dict[str, Any]) -> Instrument:
    if _code_taken(scope.company_id, meta["code"]):
        raise _code_error()
    now = clock.now()
    try:
        with transaction.atomic():
            return Instrument.objects.create(
                company_id=scope.company_id, created_at=now, updated_at=now, **meta
            )
    except IntegrityError as exc:  # a concurrent create with the same code
        raise _code_error() from exc


def _new_version(instrument: Instrument, actor: Any, **fields) -> InstrumentVersion:
    top = instrument.versions.aggregate(m=Max("number"))["m"] or 0
    return InstrumentVersion.objects.create(
        instrument=instrument,
        number=top + 1,
        status=VersionStatus.DRAFT,
        created_at=clock.now(),
        created_by=actor if getattr(actor, "pk", None) else None,
        **fields,
    )


@transaction.atomic
def create_instrument(*, actor: Any, data: dict[str, Any]) -> Instrument:
    """A new instrument of the actor's company, with an empty draft version 1 (one section)."""
    scope = builder_scope(actor)
    meta = _clean_meta({"code": data.get("code"), **data})
    instrument = _new_instrument(scope, actor, meta)
    version = _new_version(instrument, actor)
    Section.objects.create(version=version, position=0)
    audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=instrument,
        company_id=scope.company_id,
        changes={"code": [None, instrument.code], "name": [None, instrument.name]},
    )
    return instrument


@transaction.atomic
def update_instrument(*, actor: Any, instrument: Instrument | int, data: dict[str, Any]):
    """Change an instrument's name, purpose, description, source or paging (any time: these
    are not part of a version's frozen content)."""
    scope = builder_scope(actor)
    instrument = _instrument(scope, instrument, lock=True)
    meta = _clean_meta(data)
    if "code" in meta and _code_taken(scope.company_id, meta["code"], exclude=instrument.pk):
        raise _code_error()
    changes = {
        k: [getattr(instrument, k), v] for k, v in meta.items() if getattr(instrument, k) != v
    }
    if not changes:
        return instrument
    for field, (_old, new) in changes.items():
        setattr(instrument, field, new)
    instrument.updated_at = clock.now()
    instrument.save(update_fields=[*changes, "updated_at"])
    if "description" in changes:
        changes["description"] = [len(changes["description"][0]), len(meta["description"])]
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=instrument,
        company_id=scope.company_id,
        changes=changes,
    )
    return instrument


def parse_json(data: str | bytes | dict) -> Any:
    """The JSON of an uploaded or posted instrument, or InvalidInput saying why not."""
    if isinstance(data, dict):
        return data
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput(_("The file is larger than 1 MB."), field="file")
    try:
        if isinstance(data, bytes):
            data = data.decode("utf-8-sig")
        return json.loads(data)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidInput(
            interpolate(_("The file is not valid JSON: %(reason)s"), {"reason": str(exc)[:120]}),
            field="file",
        ) from exc


@transaction.atomic
def import_instrument(*, actor: Any, data: str | bytes | dict) -> Instrument:
    """A new instrument from exported JSON, validated whole; its content becomes draft v1."""
    scope = builder_scope(actor)
    content = clean_content(parse_json(data))
    meta = {k: content[k] for k in ("code", "name", "name_en", "kind", "description", "source")}
    instrument = _new_instrument(scope, actor, {**meta, "paging": content["paging"]})
    version = _new_version(
        instrument,
        actor,
        missing_rule=content["missing_rule"],
        bands=content["bands"],
        band_basis=content["band_basis"],
    )
    write_content(version, content, **_MODELS)
    audit(
        actor=actor,
        action=AuditAction.IMPORT,
        obj=instrument,
        company_id=scope.company_id,
        changes={"code": [None, instrument.code], "items": [None, _count(content)]},
    )
    return instrument


def _count(content: dict[str, Any]) -> int:
    return sum(len(s["items"]) for s in content["sections"])


@transaction.atomic
def copy_instrument(
    *, actor: Any, version: InstrumentVersion | int, code: str, name: str = ""
) -> Instrument:
    """A company's own copy of a version it can see (a built-in template or one of its own),
    as draft v1 of a new instrument with ``code``."""
    from manyi.instruments.queries import get_version

    scope = builder_scope(actor)
    source = get_version(scope, version.pk if isinstance(version, InstrumentVersion) else version)
    content = read_content(source)
    meta = {k: content[k] for k in ("name", "name_en", "kind", "description", "source")}
    meta = _clean_meta({**meta, "code": code, "name": name or content["name"]})
    meta["source"] = content["source"]
    instrument = _new_instrument(scope, actor, meta)
    version_ = _new_version(
        instrument,
        actor,
        missing_rule=source.missing_rule,
        bands=list(source.bands or []),
        band_basis=source.band_basis,
    )
    write_content(version_, content, **_MODELS)
    audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=instrument,
        company_id=scope.company_id,
        changes={"copied_from": [None, str(source)], "code": [None, instrument.code]},
    )
    return instrument


# -- versions --------------------------------------------------------------------------------------


@transaction.atomic
def new_draft(*, actor: Any, instrument: Instrument | int) -> InstrumentVersion:
    """The instrument's draft: the existing one, or a new version copying the latest one."""
    scope = builder_scope(actor)
    instrument = _instrument(scope, instrument, lock=True)
    existing = instrument.versions.filter(status=VersionStatus.DRAFT).first()
    if existing is not None:
        return existing
    latest = instrument.versions.order_by("-number").first()
    draft = _new_version(
        instrument,
        actor,
        missing_rule=latest.missing_rule if latest else MissingRule.SKIP,
        bands=list(latest.bands or []) if latest else [],
        band_basis=latest.band_basis if latest else BandBasis.INDEX,
    )
    if latest is None:
        Section.objects.create(version=draft, position=0)
    else:
        write_content(draft, read_content(latest), **_MODELS)
    instrument.updated_at = clock.now()
    instrument.save(update_fields=["updated_at"])
    audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=draft,
        company_id=scope.company_id,
        changes={"number": [None, draft.number]},
    )
    return draft


@transaction.atomic
def publish(*, actor: Any, version: InstrumentVersion | int) -> InstrumentVersion:
    """Freeze a draft: validate its whole content, store it as JSON, retire the previous one."""
    scope = builder_scope(actor)
    version = _draft(scope, version)
    content = read_content(version, with_ids=True)
    ids = content.pop("ids")
    cleaned = clean_content(content)
    cleaned["ids"] = ids
    now = clock.now()
    previous = list(
        InstrumentVersion.objects.select_for_update().filter(
            instrument_id=version.instrument_id, status=VersionStatus.PUBLISHED
        )
    )
    for old in previous:
        old.status, old.retired_at = VersionStatus.RETIRED, now
        old.save(update_fields=["status", "retired_at"])
    version.definition = cleaned
    version.status = VersionStatus.PUBLISHED
    version.published_at = now
    version.published_by = actor if getattr(actor, "pk", None) else None
    version.save(update_fields=["definition", "status", "published_at", "published_by"])
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=version,
        company_id=scope.company_id,
        changes={
            "status": [VersionStatus.DRAFT, VersionStatus.PUBLISHED],
            "retired": [None, [str(v) for v in previous]] if previous else None,
        },
    )
    return version


@transaction.atomic
def retire(*, actor: Any, version: InstrumentVersion | int) -> InstrumentVersion:
    """Stop offering a published version for new surveys (its answers stay valid)."""
    scope = builder_scope(actor)
    version = _version(scope, version, lock=True)
    if version.status != VersionStatus.PUBLISHED:
        raise Conflict(_("Only a published version can be retired."))
    version.status, version.retired_at = VersionStatus.RETIRED, clock.now()
    version.save(update_fields=["status", "retired_at"])
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=version,
        company_id=scope.company_id,
        changes={"status": [VersionStatus.PUBLISHED, VersionStatus.RETIRED]},
    )
    return version


@transaction.atomic
def discard_draft(*, actor: Any, version: InstrumentVersion | int) -> Instrument | None:
    """Delete a draft; an instrument that had nothing else is deleted with it (returns None)."""
    scope = builder_scope(actor)
    version = _draft(scope, version)
    instrument = version.instrument
    audit(
        actor=actor,
        action=AuditAction.DELETE,
        obj=version,
        company_id=scope.company_id,
        changes={"number": [version.number, None]},
    )
    version.delete()
    if not instrument.versions.exists():
        audit(
            actor=actor,
            action=AuditAction.DELETE,
            obj=instrument,
            company_id=scope.company_id,
            changes={"code": [instrument.code, None]},
        )
        instrument.delete()
        return None
    return instrument


@transaction.atomic
def replace_content(
    *, actor: Any, version: InstrumentVersion | int, data: str | bytes | dict
) -> InstrumentVersion:
    """Replace a draft's whole content (sections, items, factors, scoring settings) with a
    content dict, validated whole (the API's way of editing). The instrument's own fields —
    code, name, purpose, paging — stay as they are."""
    scope = builder_scope(actor)
    version = _draft(scope, version)
    content = clean_content(parse_json(data))
    version.items.all().delete()
    version.sections.all().delete()
    version.factors.all().delete()
    version.missing_rule = content["missing_rule"]
    version.bands = content["bands"]
    version.band_basis = content["band_basis"]
    version.save(update_fields=["missing_rule", "bands", "band_basis"])
    write_content(version, content, **_MODELS)
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=version,
        company_id=scope.company_id,
        changes={"items": [None, _count(content)]},
    )
    return version


@transaction.atomic
def update_scoring(
    *,
    actor: Any,
    version: InstrumentVersion | int,
    missing_rule: str,
    bands: Any,
    band_basis: str,
) -> InstrumentVersion:
    """The draft's scoring settings: the rule for unanswered items and the grade bands."""
    scope = builder_scope(actor)
    version = _draft(scope, version)
    errors = []
    if missing_rule not in MissingRule.values:
        errors.append(("missing_rule", _("Not one of the available choices.")))
    if band_basis not in BandBasis.values:
        errors.append(("band_basis", _("Not one of the available choices.")))
    try:
        bands = clean_bands(bands)
    except InvalidInput as exc:
        errors.extend(exc.errors)
    if errors:
        raise InvalidInput(errors=errors)
    version.missing_rule, version.bands, version.band_basis = missing_rule, bands, band_basis
    version.save(update_fields=["missing_rule", "bands", "band_basis"])
    return version


# -- sections --------------------------------------------------------------------------------------


def _clean_section(title: str, description: str) -> tuple[str, str]:
    title = (title or "").strip()
    description = (description or "").strip().replace("\r\n", "\n")
    errors = []
    if len(title) > 200:
        errors.append(("title", _("At most 200 characters.")))
    if len(description) > 2000:
        errors.append(("description", _("At most 2000 characters.")))
    if errors:
        raise InvalidInput(errors=errors)
    return title, description


@transaction.atomic
def add_section(
    *, actor: Any, version: InstrumentVersion | int, title: str = "", description: str = ""
) -> Section:
    """A new section at the end of the draft."""
    scope = builder_scope(actor)
    version = _draft(scope, version)
    title, description = _clean_section(title, description)
    top = version.sections.aggregate(m=Max("position"))["m"]
    section = Section.objects.create(
        version=version,
        position=0 if top is None else top + 1,
        title=title,
        description=description,
    )
    _log(actor, scope, AuditAction.CREATE, section, {"title": [None, title]})
    return section


@transaction.atomic
def update_section(
    *, actor: Any, section: Section | int, title: str, description: str = ""
) -> Section:
    """Change a section's title and description."""
    scope = builder_scope(actor)
    section, _version_ = _draft_of(scope, section, Section)
    old = section.title
    section.title, section.description = _clean_section(title, description)
    section.save(update_fields=["title", "description"])
    _log(actor, scope, AuditAction.UPDATE, section, {"title": [old, section.title]})
    return section


@transaction.atomic
def delete_section(*, actor: Any, section: Section | int) -> None:
    """Remove a section with its items (not the last section; not when a later condition
    refers to one of its items)."""
    scope = builder_scope(actor)
    section, version = _draft_of(scope, section, Section)
    if version.sections.count() <= 1:
        raise Conflict(_("An instrument keeps at least one section."))
    codes = set(section.items.values_list("code", flat=True))
    _refuse_if_referenced(version, codes, exclude_section=section.pk)
    _log(actor, scope, AuditAction.DELETE, section, {"items": [len(codes), None]})
    section.delete()
    _renumber(version.sections.order_by("position", "id"))


@transaction.atomic
def move_section(*, actor: Any, section: Section | int, direction: str) -> Section:
    """Move a section one place up or down."""
    scope = builder_scope(actor)
    section, version = _draft_of(scope, section, Section)
    siblings = list(version.sections.order_by("position", "id"))
    old = section.position
    _swap(siblings, section, direction)
    _check_order(version)
    _log(actor, scope, AuditAction.UPDATE, section, {"position": [old, section.position]})
    return section


# -- factors ---------------------------------------------------------------------------------------


def _clean_factor(version: InstrumentVersion, data: dict[str, Any], factor: Factor | None):
    content_factors = [
        {
            "code": f.code,
            "name": f.name,
            "weight": f.weight,
            "importance_of": f.importance_of.code if f.importance_of_id else None,
        }
        for f in version.factors.select_related("importance_of").order_by("position", "id")
        if factor is None or f.pk != factor.pk
    ]
    new = {
        "code": (data.get("code") or "").strip(),
        "name": data.get("name") or "",
        "weight": data.get("weight", 1),
        "importance_of": data.get("importance_of") or None,
    }
    # Validate through the content checker, the list as it will be; report the new row's fields.
    from manyi.instruments.definition import ErrorList, clean_factor_list

    errors = ErrorList()
    cleaned = clean_factor_list(errors, [*content_factors, new])
    index = len(content_factors)
    mine = [
        (path.rsplit(".", 1)[-1], message)
        for path, message in errors.errors
        if path.startswith(f"factors[{index}]")
    ]
    if mine:
        raise InvalidInput(errors=mine)
    if errors.errors:
        raise InvalidInput(errors=[(None, errors.errors[0][1])])
    return cleaned[index]


@transaction.atomic
def add_factor(*, actor: Any, version: InstrumentVersion | int, data: dict[str, Any]) -> Factor:
    """A new factor (dimension) of the draft with its weight."""
    scope = builder_scope(actor)
    version = _draft(scope, version)
    cleaned = _clean_factor(version, data, None)
    top = version.factors.aggregate(m=Max("position"))["m"]
    factor = Factor.objects.create(
        version=version,
        code=cleaned["code"],
        name=cleaned["name"],
        weight=cleaned["weight"],
        position=0 if top is None else top + 1,
        importance_of=version.factors.filter(code=cleaned["importance_of"]).first()
        if cleaned["importance_of"]
        else None,
    )
    _log(actor, scope, AuditAction.CREATE, factor, {"weight": [None, factor.weight]})
    return factor


@transaction.atomic
def update_factor(*, actor: Any, factor: Factor | int, data: dict[str, Any]) -> Factor:
    """Change a factor's code, name, weight or importance pairing."""
    scope = builder_scope(actor)
    factor, version = _draft_of(scope, factor, Factor)
    old = {"code": factor.code, "name": factor.name, "weight": factor.weight}
    cleaned = _clean_factor(version, data, factor)
    if cleaned["importance_of"] and version.factors.filter(importance_of=factor).exists():
        raise InvalidInput(
            _("Another factor rates this one's importance; it cannot be an importance factor."),
            field="importance_of",
        )
    factor.code, factor.name, factor.weight = cleaned["code"], cleaned["name"], cleaned["weight"]
    factor.importance_of = (
        version.factors.filter(code=cleaned["importance_of"]).first()
        if cleaned["importance_of"]
        else None
    )
    factor.save(update_fields=["code", "name", "weight", "importance_of"])
    changes = {k: [v, cleaned[k]] for k, v in old.items() if v != cleaned[k]}
    _log(actor, scope, AuditAction.UPDATE, factor, changes)
    return factor


@transaction.atomic
def delete_factor(*, actor: Any, factor: Factor | int) -> int:
    """Remove a factor; its items stay, without a factor. Returns how many items it had."""
    scope = builder_scope(actor)
    factor, version = _draft_of(scope, factor, Factor)
    count = factor.items.update(factor=None)
    version.factors.filter(importance_of=factor).update(importance_of=None)
    _log(actor, scope, AuditAction.DELETE, factor, {"code": [factor.code, None]})
    factor.delete()
    return count


# -- items -----------------------------------------------------------------------------------------


def _ordered_items(version: InstrumentVersion) -> list[Item]:
    return list(
        version.items.select_related("factor", "section").order_by(
            "section__position", "position", "id"
        )
    )


def _earlier(items: list[Item], until: Item | None) -> dict[str, dict[str, Any]]:
    """Item dicts of the items before ``until`` (all of them when None)."""
    earlier = {}
    for item in items:
        if until is not None and item.pk == until.pk:
            break
        earlier[item.code] = item_dict(item)
    return earlier


def _section_of(version: InstrumentVersion, section: Any) -> Section:
    try:
        return version.sections.get(pk=section.pk if isinstance(section, Section) else section)
    except (Section.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise InvalidInput(_("Choose one of this version's sections."), field="section") from exc


@transaction.atomic
def add_item(
    *,
    actor: Any,
    version: InstrumentVersion | int,
    data: dict[str, Any],
    section: Section | int | None = None,
) -> Item:
    """A new item at the end of ``section`` (default: the last section) of the draft."""
    scope = builder_scope(actor)
    version = _draft(scope, version)
    if section is None:
        target = version.sections.order_by("-position", "-id").first()
    else:
        target = _section_of(version, section)
    items = _ordered_items(version)
    # Everything up to the end of the target section comes before the new item.
    before = [i for i in items if i.section.position <= target.position] if items else []
    if version.items.count() >= 300:
        raise Conflict(_("An instrument has at most 300 items."))
    cleaned = clean_item(data, factors=_factor_codes(version), earlier=_earlier(before, None))
    if any(i.code == cleaned["code"] for i in items):
        raise InvalidInput(_("This code is used twice."), field="code")
    top = target.items.aggregate(m=Max("position"))["m"]
    item = Item.objects.create(
        version=version,
        section=target,
        position=0 if top is None else top + 1,
        factor=version.factors.filter(code=cleaned["factor"]).first()
        if cleaned["factor"]
        else None,
        **item_fields(cleaned),
    )
    _log(actor, scope, AuditAction.CREATE, item, {"code": [None, item.code]})
    return item


def _factor_codes(version: InstrumentVersion) -> set[str]:
    return set(version.factors.values_list("code", flat=True))


@transaction.atomic
def update_item(
    *, actor: Any, item: Item | int, data: dict[str, Any], section: Section | int | None = None
) -> Item:
    """Change an item; conditions of later items that refer to it must still fit. Given
    another ``section``, the item moves to the end of it."""
    scope = builder_scope(actor)
    item, version = _draft_of(scope, item, Item)
    if section is not None:
        target = _section_of(version, section)
        if target.pk != item.section_id:
            old_section = item.section
            top = target.items.aggregate(m=Max("position"))["m"]
            item.section, item.position = target, 0 if top is None else top + 1
            item.save(update_fields=["section", "position"])
            _renumber(old_section.items.order_by("position", "id"))
            _check_order(version)
    items = _ordered_items(version)
    before = item_dict(item)
    earlier = _earlier(items, item)
    cleaned = clean_item(data, factors=_factor_codes(version), earlier=earlier)
    if any(i.code == cleaned["code"] and i.pk != item.pk for i in items):
        raise InvalidInput(_("This code is used twice."), field="code")
    # Later items whose condition reads this one: re-check them against the new version of it.
    after = False
    seen = dict(earlier)
    seen[cleaned["code"]] = cleaned
    for other in items:
        if other.pk == item.pk:
            after = True
            continue
        if after and other.show_if and other.show_if.get("item") == item.code:
            condition = {**other.show_if, "item": cleaned["code"]}
            try:
                clean_condition(condition, seen)
            except InvalidInput as exc:
                raise InvalidInput(
                    interpolate(
                        _(
                            "The display condition of question %(code)s refers to this one and "
                            "would no longer fit; change it first."
                        ),
                        {"code": other.code},
                    ),
                    field="type",
                ) from exc
            if condition["item"] != other.show_if["item"]:
                other.show_if = condition
                other.save(update_fields=["show_if"])
        if after:
            seen[other.code] = item_dict(other)
    for field, value in item_fields(cleaned).items():
        setattr(item, field, value)
    item.factor = (
        version.factors.filter(code=cleaned["factor"]).first() if cleaned["factor"] else None
    )
    item.save()
    changes = {k: [before[k], v] for k, v in item_dict(item).items() if before[k] != v}
    _log(
        actor, scope, AuditAction.UPDATE, item, {k: v for k, v in changes.items() if k != "options"}
    )
    return item


def _refuse_if_referenced(
    version: InstrumentVersion, codes: set[str], *, exclude_section: int | None = None
) -> None:
    for other in version.items.exclude(show_if={}).only("code", "show_if", "section_id"):
        if exclude_section is not None and other.section_id == exclude_section:
            continue
        if other.show_if.get("item") in codes and other.code not in codes:
            raise Conflict(
                interpolate(
                    _(
                        "The display condition of question %(code)s refers to this; "
                        "change that condition first."
                    ),
                    {"code": other.code},
                )
            )


@transaction.atomic
def delete_item(*, actor: Any, item: Item | int) -> None:
    """Remove an item (refused while another item's display condition reads it)."""
    scope = builder_scope(actor)
    item, version = _draft_of(scope, item, Item)
    _refuse_if_referenced(version, {item.code})
    section = item.section
    _log(actor, scope, AuditAction.DELETE, item, {"code": [item.code, None]})
    item.delete()
    _renumber(section.items.order_by("position", "id"))


@transaction.atomic
def move_item(*, actor: Any, item: Item | int, direction: str) -> Item:
    """Move an item one place up or down within its section."""
    scope = builder_scope(actor)
    item, version = _draft_of(scope, item, Item)
    old = item.position
    _swap(list(item.section.items.order_by("position", "id")), item, direction)
    _check_order(version)
    _log(actor, scope, AuditAction.UPDATE, item, {"position": [old, item.position]})
    return item


def _swap(siblings: list, obj, direction: str) -> None:
    if direction not in ("up", "down"):
        raise InvalidInput(_("Not one of the available choices."), field="direction")
    index = next(i for i, s in enumerate(siblings) if s.pk == obj.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(siblings):
        return
    siblings[index], siblings[other] = siblings[other], siblings[index]
    _renumber(siblings)


def _renumber(rows) -> None:
    for position, row in enumerate(rows):
        if row.position != position:
            row.position = position
            row.save(update_fields=["position"])


def _check_order(version: InstrumentVersion) -> None:
    """Refuse (roll back) an order in which a condition reads a later item."""
    seen: set[str] = set()
    for item in _ordered_items(version):
        source = (item.show_if or {}).get("item")
        if source and source not in seen:
            raise Conflict(
                interpolate(
                    _(
                        "Question %(code)s shows only after an answer to question %(source)s, "
                        "which must come before it."
                    ),
                    {"code": item.code, "source": source},
                )
            )
        seen.add(item.code)
