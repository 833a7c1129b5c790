from django.urls import path

from manyi.complaints import views, views_settings

app_name = "complaints"
urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("new/", views.intake, name="intake"),
    path("<int:pk>/calls/", views.call, name="call"),
    path("<int:pk>/visit/", views.visit, name="visit"),
    path("<int:pk>/preparation/", views.prepare, name="prepare"),
    path("<int:pk>/investigation/", views.investigation, name="investigation"),
    path("<int:pk>/experiments/", views.experiment, name="experiment"),
    path("<int:pk>/ruling/", views.ruling, name="ruling"),
    path("<int:pk>/resolutions/", views.resolution, name="resolution"),
    path("<int:pk>/resolutions/decide/", views.decide, name="decide"),
    path("<int:pk>/resolutions/execute/", views.execute, name="execute"),
    path("<int:pk>/follow-up/", views.follow_up, name="follow-up"),
    path("<int:pk>/return-visit/", views.return_visit, name="return-visit"),
    path("<int:pk>/reassign/", views.reassign, name="reassign"),
    path("<int:pk>/escalate/", views.escalate, name="escalate"),
    path("<int:pk>/merge/", views.merge, name="merge"),
    path("settings/", views_settings.overview, name="settings"),
    path("settings/policy/", views_settings.policy, name="policy"),
    path("settings/causes/new/", views_settings.cause_edit, name="cause-create"),
    path("settings/causes/<int:cause_pk>/", views_settings.cause_edit, name="cause-edit"),
    path("settings/routing/", views_settings.routing_rule, name="routing"),
    path(
        "settings/routing/<int:rule_pk>/remove/",
        views_settings.routing_remove,
        name="routing-remove",
    ),
    path("settings/limits/", views_settings.limit, name="limit"),
    path(
        "settings/limits/<int:limit_pk>/remove/", views_settings.limit_remove, name="limit-remove"
    ),
]
