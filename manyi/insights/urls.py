"""Insights pages under /insights/: the cockpit with its drill-down, and the analyses."""

from manyi.insights import urls_analysis, urls_cockpit

app_name = "insights"
urlpatterns = [*urls_cockpit.urlpatterns, *urls_analysis.urlpatterns]
