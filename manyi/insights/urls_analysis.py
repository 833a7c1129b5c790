"""Service gap, loop closure, word of mouth, voice of the customer and weekly report pages
(included by ``manyi.insights.urls``; names live in ``insights:``)."""

urlpatterns: list = []
