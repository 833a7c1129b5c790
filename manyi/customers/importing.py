"""Customer import from .xlsx and .csv with Chinese (or English) headers.

Rows are streamed (openpyxl read-only mode, csv reader) and handled in batches of
``BATCH_SIZE``: each batch is validated in Python, then written in one transaction with bulk
inserts. Every bad row is reported with its row number and reason and nothing of it is written;
good rows are written. The phone is the key: importing the same file twice updates, never
duplicates. If present, product columns add a purchase per row (also without duplicates).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi.bulk import insert_rows, update_rows
from manyi.customers.actions import clean_customer_fields, clean_purchase_fields
from manyi.customers.models import (
    AgeBand,
    Customer,
    Education,
    IncomeBand,
    Purchase,
    RelationshipLevel,
    SocialClass,
    Tag,
)
from manyi.customers.search import index_tokens
from manyi.errors import InvalidInput, both_languages, interpolate
from manyi.insights import rollups
from manyi.org.actions import audit
from manyi.org.models import AuditAction, Unit, UnitKind
from manyi.org.scopes import Perm, Scope, scope_for

BATCH_SIZE = 1000
MAX_ROWS = 1_000_000
MAX_STORED_ERRORS = 50_000

# Header → field. Chinese first; English and the field names are accepted too.
HEADERS: dict[str, str] = {}
for _field, _names in {
    "name": ["姓名", "客户姓名", "顾客姓名", "name"],
    "phone": ["手机", "手机号", "手机号码", "电话", "联系电话", "mobile", "phone"],
    "province": ["省", "省份", "province"],
    "city": ["市", "城市", "city"],
    "district": ["区", "区县", "district"],
    "address_detail": ["地址", "详细地址", "address", "address_detail"],
    "outlet": ["门店", "所属门店", "门店编码", "经销商", "outlet", "home_outlet"],
    "age_band": ["年龄段", "年龄", "age_band"],
    "income_band": ["收入", "收入水平", "income_band"],
    "education": ["学历", "教育程度", "education"],
    "social_class": ["社会阶层", "social_class"],
    "relationship_level": ["关系等级", "客户关系", "relationship_level"],
    "tags": ["标签", "tags"],
    "contact_consent": ["同意联系", "联系同意", "contact_consent"],
    "survey_consent": ["同意调查", "调查同意", "survey_consent"],
    "notes": ["备注", "notes"],
    "product": ["产品", "购买产品", "product"],
    "batch_no": ["批号", "批次", "batch_no"],
    "quantity": ["数量", "quantity"],
    "purchased_on": ["购买日期", "日期", "purchased_on"],
}.items():
    for _name in _names:
        HEADERS[_name.lower()] = _field

# Column order of exports (and of the import template).
EXPORT_COLUMNS = [
    ("name", "姓名"),
    ("phone", "手机号"),
    ("province", "省份"),
    ("city", "城市"),
    ("district", "区县"),
    ("address_detail", "详细地址"),
    ("outlet", "门店编码"),
    ("age_band", "年龄段"),
    ("income_band", "收入水平"),
    ("education", "学历"),
    ("social_class", "社会阶层"),
    ("relationship_level", "关系等级"),
    ("tags", "标签"),
    ("contact_consent", "同意联系"),
    ("survey_consent", "同意调查"),
    ("notes", "备注"),
]

_CHOICES = {
    "age_band": AgeBand,
    "income_band": IncomeBand,
    "education": Education,
    "social_class": SocialClass,
    "relationship_level": RelationshipLevel,
}
_YES = {"1", "是", "y", "yes", "true", "同意", "√", "✓"}
_NO = {"", "0", "否", "n", "no", "false", "不同意", "×"}


class ImportFileError(InvalidInput):
    """The file as a whole cannot be read (wrong type, no header, no name/phone column)."""


@dataclass
class RowError:
    row: int
    field: str
    message: Any

    def as_list(self) -> list[Any]:
        text = both_languages(self.message)
        return [self.row, self.field, text["zh"], text["en"]]


@dataclass
class ImportResult:
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    purchases: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    def add_error(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append(error)


def _choice_lookup() -> dict[str, dict[str, str]]:
    """Each choice field's accepted spellings: code, Chinese label, English label."""
    from django.utils import translation

    table: dict[str, dict[str, str]] = {}
    for name, choices in _CHOICES.items():
        spellings: dict[str, str] = {}
        for value, label in choices.choices:
            spellings[value.lower()] = value
            for lang in ("zh-hans", "en"):
                with translation.override(lang):
                    spellings[str(label).lower()] = value
        table[name] = spellings
    return table


# -- reading --------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores phone numbers as floats
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    if value is None:
        return ""
    if isinstance(value, str):
        value = value.strip()
        # The export writes formula-like text behind an apostrophe (formula injection).
        if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@"):
            return value[1:]
        return value
    return value


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("The CSV file is neither UTF-8 nor GBK encoded."))


def read_rows(path: Path, original_name: str | None = None) -> Iterator[list[Any]]:
    """The rows of a .xlsx or .csv file, header first, as lists of cell values."""
    suffix = Path(original_name or path.name).suffix.lower()
    if suffix == ".csv":
        text = _decode(path.read_bytes())
        try:
            # Checked whole before the first row is written: a file that breaks half-way
            # (a field over the csv module's limit, a NUL byte) imports nothing at all.
            for _row in csv.reader(io.StringIO(text, newline="")):
                pass
        except csv.Error as exc:
            raise ImportFileError(_("The CSV file is malformed.")) from exc
        for row in csv.reader(io.StringIO(text, newline="")):
            yield [_cell(v) for v in row]
        return
    if suffix != ".xlsx":
        raise ImportFileError(_("Upload an .xlsx or a .csv file."))
    # calamine (Rust) reads a 100,000-row sheet about ten times faster than openpyxl.
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        for row in sheet.iter_rows():
            yield [_cell(v) for v in row]
    except (CalamineError, OSError, ValueError, TypeError, IndexError) as exc:
        raise ImportFileError(_("The file is not a readable Excel (.xlsx) workbook.")) from exc


def _header_map(header: list[Any]) -> dict[int, str]:
    columns: dict[int, str] = {}
    for index, title in enumerate(header):
        key = HEADERS.get(str(title or "").strip().lower())
        if key and key not in columns.values():
            columns[index] = key
    if "name" not in columns.values() or "phone" not in columns.values():
        raise ImportFileError(
            _("The first row must name the columns, including 姓名 (name) and 手机号 (phone).")
        )
    return columns


# -- importing ------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    customer: dict[str, Any]
    outlet: Unit
    purchase: dict[str, Any] | None


class _Importer:
    def __init__(self, scope: Scope, actor, default_outlet: Unit | None) -> None:
        self.scope = scope
        self.actor = actor
        self.choices = _choice_lookup()
        outlets = scope.units().filter(kind=UnitKind.OUTLET, is_active=True)
        if scope.company_id is None and default_outlet is not None:
            # An installation superuser imports into one company: the default outlet's.
            outlets = outlets.filter(company_id=default_outlet.company_id)
        self.outlets: dict[str, Unit] = {}
        for outlet in outlets:
            self.outlets.setdefault(outlet.code.lower(), outlet)
            self.outlets.setdefault(outlet.name.lower(), outlet)
        if default_outlet is not None:
            scope.require_unit(default_outlet, Perm.IMPORT_CUSTOMERS)
        self.default_outlet = default_outlet
        self.seen_phones: dict[str, int] = {}
        self.result = ImportResult()

    def parse(self, number: int, values: dict[str, Any]) -> _Row | None:
        """Validate one row; report its problems and return None if it has any."""
        raw: dict[str, Any] = {}
        errors: list[tuple[str, Any]] = []
        for name in ("name", "phone", "province", "city", "district", "address_detail", "notes"):
            if name in values:
                raw[name] = str(values[name])
        for name, spellings in self.choices.items():
            if name in values and values[name] != "":
                value = spellings.get(str(values[name]).strip().lower())
                if value is None:
                    errors.append((name, _("Not one of the available choices.")))
                else:
                    raw[name] = value
        for name in ("contact_consent", "survey_consent"):
            if name in values:
                text = str(values[name]).strip().lower()
                if text in _YES:
                    raw[name] = True
                elif text in _NO:
                    raw[name] = False
                else:
                    errors.append((name, _("Write 是 or 否 (yes or no).")))
        if values.get("tags"):
            text = str(values["tags"]).replace("，", ",").replace("、", ",").replace(";", ",")
            raw["tags"] = [t for t in (p.strip() for p in text.split(",")) if t]
        raw.setdefault("name", "")
        raw.setdefault("phone", "")
        try:
            cleaned = clean_customer_fields(raw)
        except InvalidInput as exc:
            errors.extend(exc.field_errors())
            cleaned = {}
        outlet_key = str(values.get("outlet") or "").strip().lower()
        outlet = self.outlets.get(outlet_key) if outlet_key else self.default_outlet
        if outlet is None:
            if outlet_key:
                errors.append(("outlet", _("No outlet with this code or name in your scope.")))
            else:
                errors.append(("outlet", _("Name the customer's outlet (code or name).")))
        phone = cleaned.get("phone")
        if phone and phone in self.seen_phones:
            errors.append(
                (
                    "phone",
                    interpolate(
                        _("This phone is already on row %(row)d of the file."),
                        {"row": self.seen_phones[phone]},
                    ),
                )
            )
        purchase = None
        if values.get("product"):
            try:
                purchase = clean_purchase_fields(
                    {
                        "product": values.get("product"),
                        "batch_no": values.get("batch_no"),
                        "quantity": values.get("quantity") or 1,
                        "purchased_on": values.get("purchased_on"),
                    }
                )
            except InvalidInput as exc:
                errors.extend(exc.field_errors())
        if errors:
            for name, message in errors:
                self.result.add_error(RowError(number, name or "", message))
            return None
        self.seen_phones[phone] = number
        return _Row(number, cleaned, outlet, purchase)

    @transaction.atomic
    def write(self, rows: list[_Row], company_id: int) -> None:
        """Write one batch of valid rows: new customers inserted, known ones updated."""
        now = timezone.now()
        phones = [r.customer["phone"] for r in rows]
        existing = {
            c.phone: c
            for c in Customer.objects.filter(
                company_id=company_id, phone__in=phones
            ).select_related("home_outlet")
        }
        new_rows: list[_Row] = []
        updated_rows: list[_Row] = []
        to_update: list[Customer] = []
        for row in rows:
            data = {k: v for k, v in row.customer.items() if k != "tags"}
            current = existing.get(data["phone"])
            if current is None:
                new_rows.append(row)
                continue
            if not self.scope.covers(current.home_outlet):
                self.result.add_error(
                    RowError(
                        row.number,
                        "phone",
                        _("This phone belongs to a customer outside your scope."),
                    )
                )
                continue
            for name in ("contact_consent", "survey_consent"):
                # PIPL: record when consent was given; withdrawing it clears the date.
                if name in data and data[name] != getattr(current, name):
                    setattr(current, f"{name}_at", now if data[name] else None)
            for name, value in data.items():
                setattr(current, name, value)
            current.home_outlet = row.outlet
            current.updated_at = now
            current.version += 1
            current.search_text = index_tokens(current.name, current.phone, current.full_address)
            to_update.append(current)
            updated_rows.append(row)
        self._insert_customers(new_rows, company_id, now)
        if to_update:
            fields = [
                "home_outlet_id",
                "updated_at",
                "version",
                "search_text",
                "contact_consent_at",
                "survey_consent_at",
                *sorted({k for r in rows for k in r.customer if k != "tags"}),
            ]
            update_rows(
                Customer, fields, [[getattr(c, f) for f in fields] + [c.pk] for c in to_update]
            )
        self.result.created += len(new_rows)
        self.result.updated += len(to_update)
        ids = dict(
            Customer.objects.filter(company_id=company_id, phone__in=phones).values_list(
                "phone", "pk"
            )
        )
        written = new_rows + updated_rows  # refused rows get no tags and no purchases
        new_phones = {r.customer["phone"] for r in new_rows}
        self._write_tags(written, ids, new_phones, company_id)
        self._write_purchases(written, ids, new_phones)

    def _insert_customers(self, rows: list[_Row], company_id: int, now) -> None:
        fields = [
            *_CUSTOMER_COLUMNS,
            "company",
            "home_outlet",
            "search_text",
            "created_at",
            "updated_at",
            "contact_consent_at",
            "survey_consent_at",
            "version",
        ]
        values = []
        for row in rows:
            data = row.customer
            record = {**_CUSTOMER_DEFAULTS, **{k: v for k, v in data.items() if k != "tags"}}
            address = Customer(
                province=record["province"],
                city=record["city"],
                district=record["district"],
                address_detail=record["address_detail"],
            ).full_address
            values.append(
                (
                    *(record[name] for name in _CUSTOMER_COLUMNS),
                    company_id,
                    row.outlet.pk,
                    index_tokens(record["name"], record["phone"], address),
                    now,
                    now,
                    now if record["contact_consent"] else None,
                    now if record["survey_consent"] else None,
                    1,
                )
            )
        insert_rows(
            Customer,
            [f if f not in ("company", "home_outlet") else f + "_id" for f in fields],
            values,
        )

    def _write_tags(
        self, rows: list[_Row], ids: dict[str, int], new_phones: set[str], company_id: int
    ) -> None:
        tags_of = {r.customer["phone"]: r.customer["tags"] for r in rows if r.customer.get("tags")}
        if not tags_of:
            return
        names = {n for tags in tags_of.values() for n in tags}
        Tag.objects.bulk_create(
            [Tag(company_id=company_id, name=n) for n in names], ignore_conflicts=True
        )
        tag_ids = dict(
            Tag.objects.filter(company_id=company_id, name__in=names).values_list("name", "pk")
        )
        through = Customer.tags.through
        fresh = [
            (ids[p], tag_ids[n]) for p, tags in tags_of.items() if p in new_phones for n in tags
        ]
        insert_rows(through, ["customer_id", "tag_id"], fresh)
        known = [
            through(customer_id=ids[p], tag_id=tag_ids[n])
            for p, tags in tags_of.items()
            if p not in new_phones
            for n in tags
        ]
        through.objects.bulk_create(known, ignore_conflicts=True, batch_size=1000)

    def _write_purchases(self, rows: list[_Row], ids: dict[str, int], new_phones: set[str]) -> None:
        wanted = [r for r in rows if r.purchase]
        if not wanted:
            return
        # Known purchases matter only for customers that existed before this batch.
        old_ids = [
            ids[r.customer["phone"]] for r in wanted if r.customer["phone"] not in new_phones
        ]
        known = (
            set(
                Purchase.objects.filter(customer_id__in=old_ids).values_list(
                    "customer_id", "product", "batch_no", "purchased_on"
                )
            )
            if old_ids
            else set()
        )
        now = timezone.now()
        new = []
        for row in wanted:
            p = row.purchase
            customer_id = ids[row.customer["phone"]]
            key = (customer_id, p["product"], p["batch_no"], p["purchased_on"])
            if key not in known:
                known.add(key)
                new.append(
                    (
                        customer_id,
                        row.outlet.pk,
                        p["product"],
                        p["batch_no"],
                        p["quantity"],
                        p["purchased_on"],
                        now,
                    )
                )
        insert_rows(
            Purchase,
            [
                "customer_id",
                "outlet_id",
                "product",
                "batch_no",
                "quantity",
                "purchased_on",
                "created_at",
            ],
            new,
        )
        rollups.touch_many((row[1], row[5]) for row in new)  # the cockpit's purchase counts
        self.result.purchases += len(new)


# The customer columns an import row may fill, and their values when the file leaves them out.
_CUSTOMER_DEFAULTS: dict[str, Any] = {
    "name": "",
    "phone": "",
    "province": "",
    "city": "",
    "district": "",
    "address_detail": "",
    "age_band": "",
    "income_band": "",
    "education": "",
    "social_class": "",
    "relationship_level": "basic",
    "contact_consent": False,
    "survey_consent": False,
    "notes": "",
}
_CUSTOMER_COLUMNS = list(_CUSTOMER_DEFAULTS)


def import_customers(
    *,
    actor,
    path: Path,
    original_name: str | None = None,
    default_outlet: Unit | None = None,
    progress: Callable[[int, ImportResult], None] | None = None,
) -> ImportResult:
    """Import customers from a spreadsheet; returns counts and the errors of bad rows."""
    scope_for(actor).require(Perm.IMPORT_CUSTOMERS)
    rows = read_rows(path, original_name)
    try:
        header = next(rows)
    except StopIteration as exc:
        raise ImportFileError(_("The file is empty.")) from exc
    return import_rows(
        actor=actor,
        header=header,
        rows=rows,
        name=original_name or path.name,
        default_outlet=default_outlet,
        progress=progress,
    )


def import_rows(
    *,
    actor,
    header: list[Any],
    rows: Iterator[list[Any]],
    name: str,
    default_outlet: Unit | None = None,
    progress: Callable[[int, ImportResult], None] | None = None,
) -> ImportResult:
    """Import customer rows under a header row (a file's, or the demo generator's)."""
    scope = scope_for(actor)
    scope.require(Perm.IMPORT_CUSTOMERS)
    company_id = scope.company_id
    if company_id is None:
        if default_outlet is None:
            raise InvalidInput(_("Choose the default outlet for this import."), field="outlet")
        company_id = default_outlet.company_id
    importer = _Importer(scope, actor, default_outlet)
    columns = _header_map(header)
    batch: list[_Row] = []
    result = importer.result
    for number, cells in enumerate(rows, start=2):
        if not any(c not in ("", None) for c in cells):
            continue  # blank line
        result.total_rows += 1
        if result.total_rows > MAX_ROWS:
            raise ImportFileError(_("The file has more than 1,000,000 rows; split it."))
        values = {key: cells[i] if i < len(cells) else "" for i, key in columns.items()}
        row = importer.parse(number, values)
        if row is not None:
            batch.append(row)
        if len(batch) >= BATCH_SIZE:
            importer.write(batch, company_id)
            batch = []
            if progress:
                progress(result.total_rows, result)
    if batch:
        importer.write(batch, company_id)
    if progress:
        progress(result.total_rows, result)
    _audit_import(actor, company_id, name, result)
    return result


@transaction.atomic
def _audit_import(actor, company_id: int, name: str, result: ImportResult) -> None:
    company = Unit.objects.get(pk=company_id)
    audit(
        actor=actor,
        action=AuditAction.IMPORT,
        obj=company,
        company_id=company_id,
        changes={
            "file": [None, name],
            "created": [None, result.created],
            "updated": [None, result.updated],
            "errors": [None, result.error_count],
        },
    )


# -- background import jobs (the upload page) -----------------------------------------------


@transaction.atomic
def queue_import(*, actor, upload, default_outlet: Unit | None = None):
    """Store an uploaded spreadsheet and queue its import; returns the job."""
    from django.conf import settings
    from django.core.files.storage import default_storage

    from manyi.customers.models import ImportJob
    from manyi.customers.tasks import run_import

    scope = scope_for(actor)
    scope.require(Perm.IMPORT_CUSTOMERS)
    name = Path(upload.name or "").name[:200]
    if Path(name).suffix.lower() not in (".xlsx", ".csv"):
        raise ImportFileError(_("Upload an .xlsx or a .csv file."), field="file")
    if upload.size > settings.MANYI_IMPORT_MAX_BYTES:
        raise ImportFileError(_("The file is too large."), field="file")
    if default_outlet is not None:
        scope.require_unit(default_outlet, Perm.IMPORT_CUSTOMERS)
    company_id = scope.company_id or (default_outlet.company_id if default_outlet else None)
    if company_id is None:
        raise InvalidInput(_("Choose the default outlet for this import."), field="default_outlet")
    stored = default_storage.save(f"imports/{timezone.now():%Y%m%d}/{name}", upload)
    job = ImportJob.objects.create(
        company_id=company_id,
        default_outlet=default_outlet,
        created_by=actor,
        file_name=name,
        stored_path=stored,
    )
    transaction.on_commit(lambda: run_import.enqueue(job.pk))
    return job


def run_import_job(job_id: int) -> None:
    """Run a queued import (the task worker calls this); safe to call twice."""
    import tempfile

    from django.core.files.storage import default_storage

    from manyi.customers.models import ImportJob, ImportStatus

    # Only one worker may start a job: the conditional update is the lock.
    if not ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING
    ):
        return
    job = ImportJob.objects.select_related("created_by", "default_outlet").get(pk=job_id)

    def progress(_rows: int, result: ImportResult) -> None:
        ImportJob.objects.filter(pk=job_id).update(
            total_rows=result.total_rows,
            created_count=result.created,
            updated_count=result.updated,
            error_count=result.error_count,
        )

    suffix = Path(job.file_name).suffix
    try:
        with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
            with default_storage.open(job.stored_path, "rb") as source:
                for chunk in iter(lambda: source.read(1 << 20), b""):
                    tmp.write(chunk)
            tmp.flush()
            result = import_customers(
                actor=job.created_by,
                path=Path(tmp.name),
                original_name=job.file_name,
                default_outlet=job.default_outlet,
                progress=progress,
            )
    except InvalidInput as exc:
        text = both_languages(exc.message)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED,
            message=f"{text['zh']} / {text['en']}",
            finished_at=timezone.now(),
        )
        return
    except Exception:
        # Never leave a job "running" forever; the worker logs the traceback.
        text = both_languages(_("The import failed unexpectedly. Please try again."))
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED,
            message=f"{text['zh']} / {text['en']}",
            finished_at=timezone.now(),
        )
        raise
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportStatus.DONE,
        total_rows=result.total_rows,
        created_count=result.created,
        updated_count=result.updated,
        error_count=result.error_count,
        errors=[e.as_list() for e in result.errors],
        finished_at=timezone.now(),
    )
