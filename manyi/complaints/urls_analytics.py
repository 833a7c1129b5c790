"""Complaint analytics pages under /complaint-analytics/."""

from django.urls import path

from manyi.complaints import views_analytics as views

app_name = "complaint_analytics"
urlpatterns = [
    path("", views.index, name="index"),
    path("coefficients/", views.coefficients, name="coefficients"),
]
