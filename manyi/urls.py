"""URL configuration: pages, the API, the admin (superusers only), language switch."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from manyi import views
from manyi.api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    # Anything else under /api/ gets a JSON problem document, not an HTML page.
    re_path(r"^api/", views.api_not_found),
    path("admin/", admin.site.urls),
    path("", include("manyi.org.urls")),
    path("customers/", include("manyi.customers.urls")),
    path("notifications/", include("manyi.notify.urls")),
    path("calendar/", include("manyi.calendars.urls")),
    path("cases/", include("manyi.cases.urls")),
    path("work-orders/", include("manyi.workorders.urls")),
    path("print/", include("manyi.workorders.urls_print")),
    path("scripts/", include("manyi.workorders.urls_scripts")),
    path("complaints/", include("manyi.complaints.urls")),
    path("complaint-analytics/", include("manyi.complaints.urls_analytics")),
    path("instruments/", include("manyi.instruments.urls")),
    path("surveys/", include("manyi.surveys.urls")),
    path("s/", include("manyi.surveys.urls_public")),
    path("survey-results/", include("manyi.surveys.urls_results")),
    path("quality/", include("manyi.quality.urls")),
    path("team/", include("manyi.team.urls")),
    path("improvement/", include("manyi.improvement.urls")),
    path("insights/", include("manyi.insights.urls")),
    path("privacy/", include("manyi.privacy.urls")),
]
