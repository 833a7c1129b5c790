"""The cockpit's pages (included by ``manyi.insights.urls``; names live in ``insights:``)."""

urlpatterns: list = []
