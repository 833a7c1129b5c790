from django.urls import path

from manyi.surveys import views

app_name = "surveys"
urlpatterns = [
    path("", views.campaign_list, name="campaigns"),
    path("campaigns/new/", views.campaign_create, name="campaign-create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign-edit"),
    path("campaigns/<int:pk>/launch/", views.campaign_launch, name="campaign-launch"),
    path("campaigns/<int:pk>/cancel/", views.campaign_cancel, name="campaign-cancel"),
    path("invitations/", views.invitation_list, name="invitations"),
    path("walk-in/", views.walk_in_list, name="walk-in"),
    path("walk-in/outlets/<int:unit_pk>/", views.walk_in_save, name="walk-in-save"),
    path("walk-in/<int:pk>/qr.svg", views.walk_in_qr, name="walk-in-qr"),
    path("walk-in/<int:pk>/poster.pdf", views.walk_in_poster, name="walk-in-poster"),
    path("settings/", views.survey_settings, name="settings"),
    path("settings/triggers/", views.trigger_save, name="trigger-save"),
    path("settings/triggers/<int:pk>/delete/", views.trigger_delete, name="trigger-delete"),
    path("settings/policy/", views.policy_save, name="policy-save"),
    path("follow-ups/", views.follow_up_list, name="follow-ups"),
    path("follow-ups/<int:pk>/close/", views.follow_up_close, name="follow-up-close"),
    path("responses/<int:pk>/", views.response_detail, name="response"),
    path("responses/<int:pk>/praise/", views.response_praise, name="response-praise"),
]
