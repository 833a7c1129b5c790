"""Improvement pages under /improvement/."""

from django.urls import path

from manyi.improvement import views
from manyi.improvement import views_sessions as sessions

app_name = "improvement"
urlpatterns = [
    path("", views.problem_list, name="list"),
    path("problems/new/", views.problem_new, name="problem-new"),
    path("problems/<int:pk>/", views.problem_detail, name="problem"),
    path("problems/<int:pk>/edit/", views.problem_edit, name="problem-edit"),
    path("problems/<int:pk>/owner/", views.problem_owner, name="problem-owner"),
    path("problems/<int:pk>/close/", views.problem_close, name="problem-close"),
    path("problems/<int:pk>/reopen/", views.problem_reopen, name="problem-reopen"),
    path("problems/<int:pk>/drop/", views.problem_drop, name="problem-drop"),
    path("problems/<int:pk>/measures/", views.measure_add, name="measure-add"),
    path("problems/<int:pk>/actions/", views.action_add, name="action-add"),
    path("problems/<int:pk>/sessions/", views.session_start, name="session-start"),
    path("measures/<int:pk>/result/", views.measure_result, name="measure-result"),
    path("actions/", views.action_list, name="actions"),
    path("actions/<int:pk>/", views.action_detail, name="action"),
    path("actions/<int:pk>/start/", views.action_start, name="action-start"),
    path("actions/<int:pk>/complete/", views.action_complete, name="action-complete"),
    path("actions/<int:pk>/edit/", views.action_edit, name="action-edit"),
    path("actions/<int:pk>/cancel/", views.action_cancel, name="action-cancel"),
    path("actions/<int:pk>/reopen/", views.action_reopen, name="action-reopen"),
    path("actions/<int:pk>/evidence/", views.action_evidence, name="action-evidence"),
    path("sessions/<int:pk>/", sessions.session_live, name="session"),
    path("sessions/<int:pk>/board/", sessions.session_board, name="session-board"),
    path("sessions/<int:pk>/results/", sessions.session_results, name="session-results"),
    path("sessions/<int:pk>/join/", sessions.session_join, name="session-join"),
    path("sessions/<int:pk>/ideas/", sessions.idea_add, name="idea-add"),
    path("sessions/<int:pk>/ideas/<int:idea_pk>/remove/", sessions.idea_remove, name="idea-remove"),
    path("sessions/<int:pk>/ideas/<int:idea_pk>/aside/", sessions.idea_aside, name="idea-aside"),
    path("sessions/<int:pk>/ideas/<int:idea_pk>/reword/", sessions.idea_reword, name="idea-reword"),
    path("sessions/<int:pk>/record-next/", sessions.record_next, name="record-next"),
    path("sessions/<int:pk>/record-all/", sessions.record_all, name="record-all"),
    path("sessions/<int:pk>/rankings/", sessions.ranking_submit, name="ranking"),
    path("sessions/<int:pk>/statement/", sessions.statement, name="statement"),
    path("sessions/<int:pk>/subgroups/", sessions.subgroups, name="subgroups"),
    path("sessions/<int:pk>/advance/", sessions.advance, name="advance"),
]
