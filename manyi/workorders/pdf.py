"""Printable work-order forms (002 第三章): the tracking card and the signed service record.

Drawn with ReportLab. Chinese text uses ReportLab's built-in CID font STSong-Light, which every
PDF reader carries (Adobe's Asian font packs), so no font file ships with manyi.
"""

from __future__ import annotations

import hashlib
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from manyi.cases.models import Case, EventKind
from manyi.workorders.actions import record_content
from manyi.workorders.models import WorkOrder

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_BODY = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=14, wordWrap="CJK")
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=8, leading=11)
_TITLE = ParagraphStyle("title", parent=_BODY, fontSize=18, leading=24, alignment=1)
_SUB = ParagraphStyle("sub", parent=_BODY, fontSize=9, leading=12, alignment=1)
_HEADING = ParagraphStyle("heading", parent=_BODY, fontSize=12, leading=18, spaceBefore=6)
_GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
)
# Largest box the signature image is scaled into, keeping its proportions.
SIGNATURE_BOX = (60 * mm, 25 * mm)


def _p(text: Any, style: ParagraphStyle = _BODY) -> Paragraph:
    """A paragraph of plain text (escaped; line breaks kept)."""
    return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)


def _numbered_canvas(footer: str):
    """A canvas class that writes "page x of y" once the page count is known (two passes)."""

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            for state in self._saved:
                self.__dict__.update(state)
                self.setFont(FONT, 8)
                text = _("Page %(page)d of %(pages)d") % {
                    "page": self._pageNumber,
                    "pages": total,
                }
                self.drawString(18 * mm, 10 * mm, footer)
                self.drawRightString(A4[0] - 18 * mm, 10 * mm, text)
                super().showPage()
            super().save()

    return NumberedCanvas


def _build(story: list, *, title: str, case: Case) -> bytes:
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=f"{title} {case.number}",
        author=case.company.name,
        subject=case.number,
    )
    printed = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    # STSong-Light has no middle dot (·): separate with plain ASCII.
    printed_label = _("Printed")
    footer = f"{case.company.name} | {case.number} | {printed_label} {printed}"
    doc.build(story, canvasmaker=_numbered_canvas(footer))
    return buffer.getvalue()


def _local(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return timezone.localtime(value).strftime(fmt) if value else ""


def _header(case: Case, title: str) -> list:
    return [
        _p(case.company.name, _SUB),
        _p(title, _TITLE),
        _p(_("No. %(number)s") % {"number": case.number}, _SUB),
        Spacer(1, 4 * mm),
    ]


def _facts(case: Case, order: WorkOrder, *, show_phone: bool) -> Table:
    customer = case.customer
    phone = customer.phone if show_phone else customer.masked_phone
    installer = " ".join(x for x in (order.installer_name, order.installer_phone) if x)
    rows = [
        [_p(_("Customer")), _p(customer.name), _p(_("Phone")), _p(phone)],
        [_p(_("Site address")), _p(order.site_address), "", ""],
        [_p(_("Installer")), _p(installer), _p(_("Outlet")), _p(case.unit.name)],
        [
            _p(_("Technician")),
            _p(case.assignee.name if case.assignee else ""),
            _p(_("Planned start")),
            _p(order.planned_start.isoformat() if order.planned_start else ""),
        ],
        [_p(_("Products")), _p(order.products), "", ""],
    ]
    table = Table(rows, colWidths=[24 * mm, 62 * mm, 24 * mm, 64 * mm])
    table.setStyle(_GRID)
    table.setStyle(
        TableStyle(
            [
                ("SPAN", (1, 1), (3, 1)),
                ("SPAN", (1, 4), (3, 4)),
                ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
                ("BACKGROUND", (2, 0), (2, 0), colors.whitesmoke),
                ("BACKGROUND", (2, 2), (2, 3), colors.whitesmoke),
            ]
        )
    )
    return table


def _visits(case: Case) -> Table:
    """One line per visit: the process step served (002 第三章 四、服务一道工序填写一项)."""
    labels = (_("Date"), _("Process step"), _("Products"), _("Mix ratio"), _("Notes"))
    rows: list[list[Any]] = [[_p(label) for label in labels]]
    events = case.events.filter(kind=EventKind.VISIT).order_by("at", "id")
    for event in events:
        data = event.data or {}
        rows.append(
            [
                _p(_local(event.at, "%Y-%m-%d")),
                _p(data.get("step", "")),
                _p(data.get("products", "")),
                _p(data.get("mix_ratio", "")),
                _p(event.text),
            ]
        )
    if len(rows) == 1:
        rows.append([_p(_("No visits logged yet.")), "", "", "", ""])
    table = Table(rows, colWidths=[22 * mm, 32 * mm, 40 * mm, 22 * mm, 58 * mm], repeatRows=1)
    table.setStyle(_GRID)
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
    if len(rows) == 2 and not events:
        table.setStyle(TableStyle([("SPAN", (0, 1), (-1, 1))]))
    return table


def tracking_card_pdf(case: Case, *, show_phone: bool = False) -> bytes:
    """The customer service tracking card (客户服务跟踪卡) of a work order."""
    order = case.workorder
    title = _("Customer service tracking card")
    story = _header(case, title)
    story += [_facts(case, order, show_phone=show_phone), Spacer(1, 5 * mm)]
    story += [_p(_("Service visits"), _HEADING), _visits(case)]
    return _build(story, title=title, case=case)


def _signature_image(order: WorkOrder) -> Image | None:
    """The drawn signature, read through Django's storage, scaled into SIGNATURE_BOX."""
    if order.signature_id is None:
        return None
    with order.signature.file.open("rb") as handle:
        data = handle.read()
    width, height = ImageReader(BytesIO(data)).getSize()
    scale = min(SIGNATURE_BOX[0] / width, SIGNATURE_BOX[1] / height)
    # A canvas drawing is black strokes on a transparent background: keep the transparency,
    # or the background prints black.
    return Image(BytesIO(data), width=width * scale, height=height * scale, mask="auto")


def _signature_cell(case: Case, order: WorkOrder):
    """The drawn signature, or the note that the customer confirmed with an SMS code."""
    from manyi.customers.models import mask_phone
    from manyi.workorders.models import SignoffMethod

    if order.signoff_method == SignoffMethod.SMS_CODE:
        return _p(
            _("Confirmed with the one-time code texted to %(phone)s")
            % {"phone": mask_phone(case.customer.phone)}
        )
    return _signature_image(order) or _p("")


def content_hash_matches(case: Case, order: WorkOrder) -> bool:
    """Whether the record still has the content the customer signed."""
    digest = hashlib.sha256(record_content(case, order).encode("utf-8")).hexdigest()
    return bool(order.signed_hash) and digest == order.signed_hash


def service_record_pdf(case: Case, *, show_phone: bool = False) -> bytes:
    """The customer service record form (客户服务记录表), with the customer's signature."""
    order = case.workorder
    title = _("Customer service record")
    story = _header(case, title)
    story += [_facts(case, order, show_phone=show_phone), Spacer(1, 5 * mm)]
    story += [_p(_("Service visits"), _HEADING), _visits(case), Spacer(1, 5 * mm)]
    story.append(_p(_("Customer's sign-off"), _HEADING))
    if order.signed_at is None:
        rows = [
            [_p(_("Overall evaluation")), _p("")],
            [_p(_("Customer's signature")), Spacer(1, SIGNATURE_BOX[1])],
            [_p(_("Date")), _p("")],
        ]
        note = _("Not signed yet: to be signed by the customer.")
    else:
        rows = [
            [_p(_("Overall evaluation")), _p(order.get_evaluation_display())],
            [_p(_("Customer's signature")), _signature_cell(case, order)],
            [_p(_("Signed by")), _p(order.signed_by)],
            [_p(_("Signed at")), _p(_local(order.signed_at))],
            [_p(_("Content hash (SHA-256)")), _p(order.signed_hash, _SMALL)],
        ]
        if content_hash_matches(case, order):
            note = _("The content hash matches the record as signed.")
        else:
            note = _("Warning: the record no longer matches the content hash taken at signing.")
    table = Table(rows, colWidths=[40 * mm, 134 * mm])
    table.setStyle(_GRID)
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke)]))
    story += [table, Spacer(1, 2 * mm), _p(note, _SMALL)]
    return _build(story, title=title, case=case)
