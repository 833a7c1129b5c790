from django.urls import path

from manyi.team.views import (
    appraisals,
    csas,
    home,
    leadership,
    scoreboard,
    service_level,
    training,
)

app_name = "team"
urlpatterns = [
    path("", home.home, name="home"),
    # CSAS (003 P-092..096)
    path("csas/", csas.round_list, name="csas-list"),
    path("csas/new/", csas.round_open, name="csas-open"),
    path("csas/<int:pk>/", csas.round_detail, name="csas-detail"),
    path("csas/<int:pk>/answer/", csas.round_answer, name="csas-answer"),
    path("csas/<int:pk>/close/", csas.round_close, name="csas-close"),
    # training and certification (002 第七章), training evaluation (003 P-055/056)
    path("training/", training.training_home, name="training"),
    path("courses/new/", training.course_form, name="course-create"),
    path("courses/<int:pk>/", training.course_detail, name="course"),
    path("courses/<int:pk>/edit/", training.course_form, name="course-edit"),
    path("courses/<int:pk>/sessions/new/", training.session_create, name="session-create"),
    path("courses/<int:pk>/evaluate/", training.course_evaluate, name="course-evaluate"),
    path("sessions/<int:pk>/", training.session_detail, name="session"),
    path("sessions/<int:pk>/participants/", training.session_add, name="session-add"),
    path(
        "sessions/<int:pk>/results/<int:enrolment_pk>/",
        training.result_record,
        name="result",
    ),
    path("evaluations/<int:pk>/", training.evaluation_detail, name="evaluation"),
    path("certificates/", training.certificate_list, name="certificates"),
    path("certificates/<int:pk>/", training.certificate_detail, name="certificate"),
    path("licences/", training.licences_expiring, name="licences"),
    # leadership questionnaire (003 P-059/060)
    path("leadership/", leadership.review_list, name="leadership"),
    path("leadership/new/", leadership.review_open, name="review-open"),
    path("leadership/<int:pk>/", leadership.review_detail, name="review"),
    path("leadership/<int:pk>/answer/", leadership.review_answer, name="review-answer"),
    path("leadership/<int:pk>/close/", leadership.review_close, name="review-close"),
    # five-star service level (000)
    path("service-levels/", service_level.level_list, name="levels"),
    path("service-levels/units/<int:unit_pk>/", service_level.level_history, name="level-history"),
    path(
        "service-levels/units/<int:unit_pk>/assess/",
        service_level.level_assess,
        name="level-assess",
    ),
    path("service-levels/<int:pk>/", service_level.level_detail, name="level"),
    # scoreboards (003 P-077..079) and daily recognition (P-076)
    path("scoreboard/", scoreboard.board, name="scoreboard"),
    path("scoreboard/people/<int:pk>/", scoreboard.person, name="scoreboard-person"),
    path("scoreboard/teams/<int:pk>/", scoreboard.team, name="scoreboard-team"),
    path("scoreboard/people/<int:pk>/recognise/", scoreboard.recognise_view, name="recognise"),
    # performance appraisal (003 P-080..084)
    path("appraisals/", appraisals.appraisal_list, name="appraisals"),
    path("appraisals/new/", appraisals.appraisal_open, name="appraisal-open"),
    path("appraisals/<int:pk>/", appraisals.appraisal_detail, name="appraisal"),
    path("appraisals/<int:pk>/prepare/", appraisals.appraisal_prepare, name="appraisal-prepare"),
    path("appraisals/<int:pk>/discuss/", appraisals.appraisal_discuss, name="appraisal-discuss"),
    path("appraisals/<int:pk>/commit/", appraisals.appraisal_commit, name="appraisal-commit"),
    path(
        "appraisals/<int:pk>/follow-up/",
        appraisals.appraisal_follow_up,
        name="appraisal-follow-up",
    ),
    path("commitments/<int:pk>/done/", appraisals.commitment_done, name="commitment-done"),
]
