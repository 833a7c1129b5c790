"""Quality pages under /quality/."""

from django.urls import path

from manyi.quality import views, views_audits, views_mystery

app_name = "quality"
urlpatterns = [
    path("", views.index, name="index"),
    path("standards/", views.standard_list, name="standards"),
    path("standards/new/", views.standard_create, name="standard-create"),
    path("standards/library/", views.load_library, name="load-library"),
    path("standards/<int:pk>/", views.standard_detail, name="standard"),
    path("standards/<int:pk>/edit/", views.standard_edit, name="standard-edit"),
    path("standards/<int:pk>/retire/", views.standard_retire, name="standard-retire"),
    path("priorities/", views.priorities, name="priorities"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<int:pk>/", views.template_detail, name="template"),
    path("plans/", views.plan_list, name="plans"),
    path("plans/<int:pk>/active/", views.plan_active, name="plan-active"),
    path("audits/", views_audits.audit_home, name="audits"),
    path("audits/start/", views_audits.audit_start_planned, name="audit-start"),
    path("audits/<int:pk>/", views_audits.audit_page, name="audit"),
    path("audits/<int:pk>/discard/", views_audits.audit_discard, name="audit-discard"),
    path("findings/<int:pk>/action/", views_audits.finding_action, name="finding-action"),
    path("findings/<int:pk>/praise/", views_audits.finding_praise, name="finding-praise"),
    path("actions/", views_audits.action_list, name="actions"),
    path("actions/<int:pk>/done/", views_audits.action_done, name="action-done"),
    path("outlets/<int:pk>/", views_audits.outlet_history, name="outlet"),
    path("compare/", views_audits.compare, name="compare"),
    path("mystery-shopping/", views_mystery.program_list, name="programs"),
    path("mystery-shopping/<int:pk>/", views_mystery.program_detail, name="program"),
    path("mystery-shopping/<int:pk>/report/", views_mystery.program_report, name="program-report"),
    path("mystery-shopping/<int:pk>/<slug:step>/", views_mystery.program_step, name="program-step"),
    path("my-visits/", views_mystery.my_visits, name="my-visits"),
    path("my-visits/<int:pk>/", views_mystery.my_visit, name="my-visit"),
]
