"""Complaint analytics under /api/v1/complaint-analytics/."""

from ninja import Router

router = Router(tags=["complaint analytics"])
