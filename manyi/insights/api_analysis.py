"""The analyses' API under /api/v1/insights/: gap, loop closure, word of mouth, voice."""

from ninja import Router

router = Router(tags=["insights"])
