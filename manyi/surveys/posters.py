"""An outlet's walk-in QR code: as SVG for the page, and as a printable A4 PDF poster.

The QR code is drawn by segno; the poster by ReportLab with the built-in CID font STSong-Light
(as the work-order forms: every PDF reader has it, no font file ships).
"""

from __future__ import annotations

from io import BytesIO

import segno
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from manyi.surveys.models import WalkInPoint

FONT = "STSong-Light"
if FONT not in pdfmetrics.getRegisteredFontNames():
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def qr_svg(link: str) -> str:
    """The QR code of ``link`` as an SVG document (error correction M: survives a smudge)."""
    out = BytesIO()
    segno.make(link, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False)
    return out.getvalue().decode()


def poster_pdf(point: WalkInPoint, link: str) -> bytes:
    """A4: the outlet's name, an invitation to give feedback, the QR code, the link."""
    width, height = A4
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"{point.unit.name} – {_('Tell us how we did')}")
    pdf.setFont(FONT, 14)
    pdf.drawCentredString(width / 2, height - 30 * mm, point.company.name)
    pdf.setFont(FONT, 22)
    pdf.drawCentredString(width / 2, height - 45 * mm, point.unit.name)
    pdf.setFont(FONT, 30)
    pdf.drawCentredString(width / 2, height - 70 * mm, _("Tell us how we did"))
    pdf.setFont(FONT, 14)
    pdf.drawCentredString(
        width / 2, height - 82 * mm, _("Scan with your phone: one minute, no app, no login.")
    )
    png = BytesIO()
    segno.make(link, error="m").save(png, kind="png", scale=10, border=2)
    png.seek(0)
    size = 120 * mm
    pdf.drawImage(ImageReader(png), (width - size) / 2, height - 95 * mm - size, size, size)
    pdf.setFont(FONT, 11)
    pdf.drawCentredString(width / 2, height - 102 * mm - size, link)
    pdf.setFont(FONT, 11)
    pdf.drawCentredString(
        width / 2,
        25 * mm,
        _("Your answers are anonymous unless you leave a phone number to be called back."),
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
