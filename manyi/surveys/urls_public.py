"""The customer's survey pages, under /s/ (short links fit in a text message)."""

from django.urls import path

from manyi.surveys import views_public

app_name = "survey_public"
urlpatterns = [
    path("w/<str:token>/", views_public.walk_in, name="walk-in"),
    path("<str:token>/", views_public.answer, name="answer"),
    path("<str:token>/save/", views_public.save, name="save"),
]
