"""Survey results pages under /survey-results/."""

from django.urls import path

from manyi.surveys import views_results as views

app_name = "survey_results"
urlpatterns = [
    path("", views.index, name="index"),
    path("comments/", views.comments, name="comments"),
]
