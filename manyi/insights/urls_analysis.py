"""Service gap, loop closure, word of mouth, voice of the customer and weekly report pages
(included by ``manyi.insights.urls``; names live in ``insights:``)."""

from django.urls import path

from manyi.insights import views_analysis as views

urlpatterns: list = [
    path("service-gap/", views.gap_page, name="gap"),
    path("loop-closure/", views.loop_page, name="loop"),
    path("loop-closure/signals/", views.loop_signals, name="loop-signals"),
    path("word-of-mouth/", views.word_of_mouth_page, name="word-of-mouth"),
    path("voice/", views.voice_page, name="voice"),
    path("voice/complaints/", views.voice_records, name="voice-records"),
    path("weekly-reports/", views.weekly_list, name="weekly"),
    path(
        "weekly-reports/<int:pk>/<str:fmt>/",
        views.weekly_file,
        name="weekly-file",
    ),
]
